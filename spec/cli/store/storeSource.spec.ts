import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { storeLocation } from '../../../src/cli/store/storeLocation';
import { tempDir, writeText } from '../support/files';
import { rxdagWith } from '../support/liveInProcessCli';

describe('a store that cannot be used, named as the user chose it', () => {
  const tmp = tempDir();
  const dag = () => writeText(tmp.file('dag.yaml'), 'id: s\ntasks:\n  - id: a\n    sleep: 1\n');
  afterAll(() => tmp.remove());

  it('should name RXDAG_STORE, not --store, when the variable chose the store', async () => {
    const file = writeText(tmp.file('a-file'), '');
    const result = await rxdagWith({ env: { RXDAG_STORE: path.join(file, 'runs') } }, 'run', dag());
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`rxdag: RXDAG_STORE: cannot journal into "${file}/runs": "${file}" is not a directory\n`);
  });

  it('should name the default store when neither --store nor RXDAG_STORE was given', async () => {
    const cwd = path.join(tmp.dir, 'work');
    mkdirSync(cwd);
    writeFileSync(path.join(cwd, '.rxdag'), '');
    const result = await rxdagWith({ cwd, env: { RXDAG_STORE: '' } }, 'run', dag());
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `rxdag: the default store .rxdag/ (--store or RXDAG_STORE names another): cannot journal into "${cwd}/.rxdag": "${cwd}/.rxdag" is not a directory\n`,
    );
  });

  it('should still name --store when the option chose it', async () => {
    const file = writeText(tmp.file('b-file'), '');
    const result = await rxdagWith({ env: { RXDAG_STORE: tmp.dir } }, 'run', dag(), '--store', file);
    expect(result.stderr).toBe(`rxdag: --store: cannot journal into "${file}": "${file}" is not a directory\n`);
  });

  it('should escape the control characters of a store path where it is printed', async () => {
    expect(storeLocation(undefined, { RXDAG_STORE: 'a\nb\u001b[2J' }, '/work')).toMatchObject({
      dir: '/work/a\nb\u001b[2J',
      label: 'a\\nb\\u001b[2J/',
    });
    const store = path.join(tmp.dir, 'line\nfeed');
    const result = await rxdagWith({ env: { RXDAG_STORE: store } }, 'run', dag(), '-q');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`(journal ${tmp.dir}/line\\nfeed/;`);
    expect(result.stderr).not.toContain('line\nfeed');
  });
});
