import { connectionNamePart } from '../../src/bullmq/connectionName';

/** A worker's name in its Redis connections' names, which Redis takes in printable ASCII only. */
describe('connectionNamePart', () => {
  it('should keep a printable ASCII name as it is, a HOST:PID among them', () => {
    expect(connectionNamePart('build-box:4242')).toBe('build-box:4242');
  });

  it('should write spaces, non-ASCII and a lone surrogate as UTF-8 bytes, and % too, so that two names never meet', () => {
    expect(connectionNamePart('wörker 🚀')).toBe('w%C3%B6rker%20%F0%9F%9A%80');
    expect(connectionNamePart('x\ud800')).toBe('x%uD800');
    expect(new Set(['x\ud800', 'x\udfff', 'x\ufffd'].map(connectionNamePart)).size).toBe(3);
    expect(connectionNamePart('a b')).not.toBe(connectionNamePart('a%20b'));
    for (const name of ['a b', 'a%20b', 'wörker 🚀', '\u0000\u007f']) expect(connectionNamePart(name)).toMatch(/^[!-~]+$/);
  });
});
