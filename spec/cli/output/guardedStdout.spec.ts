import { Writable } from 'node:stream';
import { dropWritesToGoneTerminal, guardedStdout } from '../../../src/cli/output/guardedStdout';

/** A standard output whose every write fails with EIO, as a terminal that is gone. */
function goneTerminal(): NodeJS.WriteStream {
  const stream = new Writable({ write: (_chunk, _encoding, done) => done(Object.assign(new Error('write EIO'), { code: 'EIO' })) });
  return Object.assign(stream, { isTTY: true }) as unknown as NodeJS.WriteStream;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('standard output that cannot crash the CLI', () => {
  it('should say once that what it prints is lost, but say nothing once the terminal is gone (a SIGHUP)', async () => {
    const said: string[] = [];
    const stderr = { write: (text: string) => (said.push(text), true) };
    const before = guardedStdout(goneTerminal(), stderr);
    before.write('a\n');
    before.write('b\n');
    await settle();
    expect(said).toEqual(['rxdag: cannot write to standard output: EIO (write EIO); the rest of what is printed there is lost\n']);
    expect(before.lost).toBe(true);

    dropWritesToGoneTerminal();
    said.length = 0;
    const after = guardedStdout(goneTerminal(), stderr);
    after.write('c\n');
    await settle();
    expect(said).toEqual([]);
    // a file or pipe that fails after the SIGHUP (stdout redirected to a full disk) is said as ever
    const file = goneTerminal();
    Object.assign(file, { isTTY: false });
    guardedStdout(file, stderr).write('d\n');
    await settle();
    expect(said).toEqual(['rxdag: cannot write to standard output: EIO (write EIO); the rest of what is printed there is lost\n']);
  });
});
