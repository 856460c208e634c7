import { chmodSync } from 'node:fs';
import { resolveRemoteOptions } from '../../../src/cli/remote/remoteOptions';
import type { Problem } from '../../../src/cli/problems';
import { tempDir, writeText } from '../support/files';

/** How `--key-file` is read: one key in a regular file, and a word when others can read it. */
describe('--key-file', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());
  const KEY = 'ab'.repeat(32);
  const resolve = (keyFile: string) => {
    const problems: Problem[] = [];
    const settings = resolveRemoteOptions({ redis: 'redis://127.0.0.1:6379', keyFile }, {}, problems);
    return { settings, problems: problems.map((problem) => problem.message) };
  };

  it('should take a key file only its owner can read without a word', () => {
    const file = writeText(tmp.file('private.key'), `${KEY}\n`);
    chmodSync(file, 0o600);
    const { settings, problems } = resolve(file);
    expect(problems).toEqual([]);
    expect(settings?.key?.toString()).toBe(KEY);
    expect(settings?.keyNote).toBeUndefined();
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
      '--key-file /dev/zero: not a regular file; the key file holds one key (e.g. the 64 hex characters of: openssl rand -hex 32)',
    ]);
    expect(resolve(tmp.dir).problems).toEqual([
      `--key-file ${tmp.dir}: not a regular file; the key file holds one key (e.g. the 64 hex characters of: openssl rand -hex 32)`,
    ]);
    expect(resolve(big).problems).toEqual([
      `--key-file ${big}: a file of 5000 bytes; the key file holds one key (e.g. the 64 hex characters of: openssl rand -hex 32)`,
    ]);
  });
});
