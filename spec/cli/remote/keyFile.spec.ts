import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { keyBytes } from '../../../src/bullmq/signing';
import { ownerProblem, remoteFlags, resolveRemoteOptions } from '../../../src/cli/remote/remoteOptions';
import type { Problem } from '../../../src/cli/problems';
import { tempDir, writeText } from '../support/files';

/** How `--key-file` is read: one key in a regular file or a pipe, and a word when others can read it. */
describe('--key-file', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());
  const KEY = 'ab'.repeat(32);
  const resolve = (keyFile: string) => {
    const problems: Problem[] = [];
    const settings = resolveRemoteOptions({ redis: 'redis://127.0.0.1:6379', keyFile }, {}, problems);
    return { settings, problems: problems.map((problem) => problem.message) };
  };

  it('should take a binary key file as its bytes, as the library reads one: two keys never read as one, a short one refused', () => {
    const keyOf = (name: string, bytes: Buffer) => {
      const file = tmp.file(name);
      writeFileSync(file, bytes);
      chmodSync(file, 0o600);
      return resolve(file);
    };
    const random = Buffer.from(Array.from({ length: 32 }, (_, k) => (k * 97 + 200) % 256));
    expect(keyOf('random.key', random).settings?.key).toEqual(keyBytes(random, 'key'));
    // each invalid UTF-8 byte had been read as U+FFFD: these two were the same 18-byte key
    expect(keyOf('a.key', Buffer.alloc(6, 0xff)).problems).toEqual([expect.stringMatching(/the key must be at least 16 bytes \(got 6\)/)]);
    const a = keyOf('a16.key', Buffer.alloc(16, 0xff)).settings?.key;
    const b = keyOf('b16.key', Buffer.alloc(16, 0x80)).settings?.key;
    expect(a?.equals(b!)).toBe(false);
  });

  it('should take a key file of text as that text given in RXDAG_WORKER_KEY: whitespace, a CRLF and a byte order mark left out', () => {
    for (const [name, text] of [
      ['passphrase.key', 'clé secrète partagée 2026\n'],
      ['bom.key', `\uFEFF${KEY}\r\n`],
      ['crlf.key', 'pässwörd-pässwörd\r\n'],
    ] as const) {
      const file = writeText(tmp.file(name), text);
      chmodSync(file, 0o600);
      const fromFile = resolve(file).settings?.key;
      const problems: Problem[] = [];
      const fromVariable = resolveRemoteOptions({ redis: 'redis://127.0.0.1:6379' }, { RXDAG_WORKER_KEY: text }, problems)?.key;
      expect([name, fromFile?.toString('hex')]).toEqual([name, fromVariable?.toString('hex')]);
      expect(keyBytes(readFileSync(file), 'key')).toEqual(fromFile); // as the library reads the file
    }
  });

  it('should take a key file only its owner can read without a word', () => {
    const file = writeText(tmp.file('private.key'), `${KEY}\n`);
    chmodSync(file, 0o600);
    const { settings, problems } = resolve(file);
    expect(problems).toEqual([]);
    expect(settings?.key?.toString()).toBe(KEY);
    expect(settings?.keyNote).toBeUndefined();
  });

  it('should name a key file whose path holds control characters with them escaped (it is printed on the terminal)', () => {
    const file = writeText(tmp.file('k\u001b[32mey'), KEY);
    chmodSync(file, 0o600);
    expect(resolve(file).settings?.keySource).toBe(`--key-file ${tmp.file('k\\u001b[32mey')}`);
  });

  it('should take a key file others can read, with a note saying so and how to mend it', () => {
    const file = writeText(tmp.file('open.key'), KEY);
    chmodSync(file, 0o644);
    const { settings, problems } = resolve(file);
    expect(problems).toEqual([]);
    expect(settings?.keyNote).toBe(`which other users of this machine can read (mode 644): chmod 600 ${file}`);
  });

  it('should refuse a device, a folder and a big file before reading them', () => {
    const big = writeText(tmp.file('big.key'), 'x'.repeat(5000));
    expect(resolve('/dev/zero').problems).toEqual([
      '--key-file /dev/zero: not a regular file or a pipe; the key file holds one key (e.g. the 64 hex characters of: openssl rand -hex 32)',
    ]);
    expect(resolve(tmp.dir).problems).toEqual([
      `--key-file ${tmp.dir}: not a regular file or a pipe; the key file holds one key (e.g. the 64 hex characters of: openssl rand -hex 32)`,
    ]);
    expect(resolve(big).problems).toEqual([
      `--key-file ${big}: a file of 5000 bytes; the key file holds one key (e.g. the 64 hex characters of: openssl rand -hex 32)`,
    ]);
  });

  // the writers of the pipes below: one whose pipe is never read would wait for a reader for ever
  const writers: ChildProcess[] = [];
  afterEach(() => writers.splice(0).forEach((writer) => writer.kill('SIGKILL')));

  /** A pipe that `writer` (a shell command) fills, as `--key-file <(pass show worker-key)` gives one. */
  const pipeFrom = (name: string, writer: string): string => {
    const fifo = tmp.file(name);
    execFileSync('mkfifo', [fifo]);
    writers.push(spawn('sh', ['-c', `exec ${writer} > "$0"`, fifo], { stdio: 'ignore' }));
    return fifo;
  };

  it('should read a key from a pipe, as process substitution gives it, and not name the pipe in a resume hint', () => {
    const { settings, problems } = resolve(pipeFrom('substituted.key', `printf '%s\\n' ${KEY}`));
    expect(problems).toEqual([]);
    expect(settings?.key?.toString()).toBe(KEY);
    expect(remoteFlags(settings!, 'redis://127.0.0.1:6379/0')).toBe(' --redis redis://127.0.0.1:6379/0 --key-file <(…)');
  });

  it('should refuse a pipe other users can write to: they could give their key', () => {
    const fifo = tmp.file('shared.key');
    execFileSync('mkfifo', ['-m', '622', fifo]);
    chmodSync(fifo, 0o622);
    writers.push(spawn('sh', ['-c', `exec printf '%s' ${KEY} > "$0"`, fifo], { stdio: 'ignore' }));
    expect(resolve(fifo).problems).toEqual([`--key-file ${fifo}: a pipe other users can write to (mode 622)`]);
  });

  it.each(['622', '664', '666'])('should refuse a key file other users can write to (mode %s): they could put their key in it', (mode) => {
    const file = writeText(tmp.file(`writable-${mode}.key`), KEY);
    chmodSync(file, parseInt(mode, 8));
    expect(resolve(file).problems).toEqual([`--key-file ${file}: a file other users can write to (mode ${mode}): chmod 600 ${file}`]);
  });

  it("should take a key file of the user running the command or of root, and refuse another user's: they could write another key", () => {
    const own = process.getuid!();
    expect(ownerProblem(own)).toBeUndefined();
    expect(ownerProblem(0)).toBeUndefined();
    const other = own === 0 ? 65534 : own + 1;
    expect(ownerProblem(other)).toBe(
      `a file of another user (uid ${other}; this command runs as uid ${own}), who could write another key into it`,
    );
  });

  it('should say a key file its group can read is readable by other users, but not one only its owner can reach', () => {
    const file = writeText(tmp.file('group.key'), KEY);
    chmodSync(file, 0o640);
    expect(resolve(file).settings?.keyNote).toBe(`which other users of this machine can read (mode 640): chmod 600 ${file}`);
    chmodSync(file, 0o700);
    expect(resolve(file).settings?.keyNote).toBeUndefined();
  });

  it("should refuse a pipe that holds more than a key, having read only a key's worth", () => {
    const fifo = pipeFrom('endless.key', 'yes');
    expect(resolve(fifo).problems).toEqual([
      `--key-file ${fifo}: more than 4096 bytes; the key file holds one key (e.g. the 64 hex characters of: openssl rand -hex 32)`,
    ]);
  });
});
