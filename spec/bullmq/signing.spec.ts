import { jobIdFor } from '../../src/bullmq/jobFormat';
import { canonicalJson, keyBytes, signJob, signResult, verifySignature } from '../../src/bullmq/signing';

const key = keyBytes('0123456789abcdef0123456789abcdef', 'test');
const other = keyBytes('fedcba9876543210fedcba9876543210', 'test');
const shell = { prefix: 'rxdag', queue: 'shell' };
const data = { v: 1, runId: 'r', id: 't', attempt: 1, input: { command: 'echo hi', env: { B: '2', A: '1' } }, expiresAt: 10 };

describe('job ids', () => {
  it('should hold no `:` and never make two attempts share an id', () => {
    expect(jobIdFor('nightly:42', 'build', 1)).toBe('nightly%3A42|build|1');
    expect(jobIdFor('a|b', 'c', 1)).not.toBe(jobIdFor('a', 'b|c', 1));
    expect(jobIdFor('a%3A', 'b', 1)).not.toBe(jobIdFor('a:', 'b', 1));
    expect(jobIdFor('r', 't', 2)).not.toContain(':');
  });
});

describe('keys', () => {
  it('should leave out surrounding whitespace of a key written as text, as `--key-file` does, given as a string or as bytes', () => {
    const text = '0123456789abcdef0123456789abcdef';
    expect(keyBytes(`${text}\n`, 'test')).toEqual(key);
    expect(keyBytes(Buffer.from(` \t${text}\r\n`), 'test')).toEqual(key);
    // random bytes are the key as they are, whitespace bytes at their ends included
    const binary = Buffer.from([0x0a, 0xff, ...Buffer.from(text), 0x00, 0x20]);
    expect(keyBytes(binary, 'test')).toEqual(binary);
    // also those that happen to be UTF-8: control bytes say they are not text
    for (const bytes of [
      Buffer.from('0c71565e3432cd9816322a0845210f1b', 'hex'),
      Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 0x7f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x20]),
    ])
      expect(keyBytes(bytes, 'test')).toEqual(bytes);
    // text that is not ASCII, as the same text given as a string: a byte order mark and a CRLF left out
    expect(keyBytes(Buffer.from('\uFEFFclé secrète partagée 2026\r\n'), 'test')).toEqual(keyBytes('clé secrète partagée 2026', 'test'));
  });

  it("should count a key's length without its whitespace", () => {
    expect(() => keyBytes(`short${' '.repeat(20)}\n`, 'test')).toThrow('`key` must be at least 16 bytes (got 5)');
  });
});

describe('signatures', () => {
  it('should sign a `__proto__` key with its value, as any other key', () => {
    const withProto = JSON.parse('{"v":1,"input":{"__proto__":{"env":{"A":"1"}}},"upstream":{"__proto__":"out"}}') as object;
    const altered = JSON.parse(
      '{"v":1,"input":{"__proto__":{"env":{"LD_PRELOAD":"/tmp/x.so"}}},"upstream":{"__proto__":"forged"}}',
    ) as object;
    expect(canonicalJson(withProto)).toBe('{"input":{"__proto__":{"env":{"A":"1"}}},"upstream":{"__proto__":"out"},"v":1}');
    const signature = signJob(key, shell, 'r|t|1', withProto);
    expect(verifySignature(key, 'job', shell, 'r|t|1', withProto, signature)).toBe(true);
    expect(verifySignature(key, 'job', shell, 'r|t|1', altered, signature)).toBe(false);
  });

  it('should not depend on the order of keys', () => {
    const reordered = { expiresAt: 10, input: { env: { A: '1', B: '2' }, command: 'echo hi' }, attempt: 1, id: 't', runId: 'r', v: 1 };
    expect(canonicalJson(reordered)).toBe(canonicalJson(data));
    expect(signJob(key, shell, 'r|t|1', reordered)).toBe(signJob(key, shell, 'r|t|1', data));
  });

  it('should verify a signed job after a JSON round trip, and leave its own field out', () => {
    const signed = { ...data, signature: signJob(key, shell, 'r|t|1', data) };
    const travelled = JSON.parse(JSON.stringify(signed)) as typeof signed;
    expect(verifySignature(key, 'job', shell, 'r|t|1', travelled, travelled.signature)).toBe(true);
  });

  it('should refuse another key, altered data, another queue, another prefix, another job id, or a result signature', () => {
    const signature = signJob(key, shell, 'r|t|1', data);
    expect(verifySignature(other, 'job', shell, 'r|t|1', data, signature)).toBe(false);
    expect(verifySignature(key, 'job', shell, 'r|t|1', { ...data, input: { command: 'rm -rf /' } }, signature)).toBe(false);
    expect(verifySignature(key, 'job', shell, 'r|t|1', { ...data, expiresAt: 99 }, signature)).toBe(false);
    expect(verifySignature(key, 'job', { prefix: 'rxdag', queue: 'sleep' }, 'r|t|1', data, signature)).toBe(false);
    expect(verifySignature(key, 'job', { prefix: 'other-fleet', queue: 'shell' }, 'r|t|1', data, signature)).toBe(false);
    expect(verifySignature(key, 'job', shell, 'r|t|2', data, signature)).toBe(false);
    expect(verifySignature(key, 'job', shell, 'r|t|1', data, signResult(key, shell, 'r|t|1', data))).toBe(false);
  });

  it('should refuse a signed null changed in Redis to a number JSON cannot hold (1e400 reads as Infinity, and writes as null)', () => {
    const withNull = { ...data, input: { limit: null } };
    const signature = signJob(key, shell, 'r|t|1', withNull);
    const wire = JSON.stringify({ ...withNull, signature });
    expect(verifySignature(key, 'job', shell, 'r|t|1', JSON.parse(wire), signature)).toBe(true);
    for (const forged of ['1e400', '-1e400']) {
      const altered = JSON.parse(wire.replace('"limit":null', `"limit":${forged}`)) as typeof withNull;
      expect(verifySignature(key, 'job', shell, 'r|t|1', altered, signature)).toBe(false);
    }
    // an output of Infinity is sent as null, and signed as it is sent
    const outcome = { ok: true, output: { best: Number.POSITIVE_INFINITY } };
    const travelled = JSON.parse(JSON.stringify({ ...outcome, signature: signResult(key, shell, 'r|t|1', outcome) })) as {
      signature: string;
    };
    expect(verifySignature(key, 'result', shell, 'r|t|1', travelled, travelled.signature)).toBe(true);
  });

  it('should refuse, not throw, a forged job nested too deep to write', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const forged = { ...data, input: deep };
    expect(verifySignature(key, 'job', shell, 'r|t|1', forged, `v2=${'0'.repeat(64)}`)).toBe(false);
  });

  it('should refuse missing or malformed signatures', () => {
    for (const signature of [undefined, '', 'v2=', 'v2=zz', 42, 'v1=' + 'a'.repeat(64), 'v2=' + 'a'.repeat(64)]) {
      expect(verifySignature(key, 'job', shell, 'r|t|1', data, signature)).toBe(false);
    }
  });
});
