import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { CLI, ensureBuilt, ROOT } from './support/builtCli';
import { tempDir, writeText } from './support/files';

/**
 * RxJS is a peer dependency of rxdag, which npm installs beside it, but not with
 * `--legacy-peer-deps`: a command that needs it then says in one line what to install, not an
 * "internal error" with Node's require stack. Commands that do not load RxJS work without it.
 */
describe('rxdag without RxJS installed', () => {
  const tmp = tempDir();
  const preload = path.join(__dirname, 'fixtures', 'withoutRxjs.js');
  beforeAll(() => ensureBuilt(), 60_000);
  afterAll(() => tmp.remove());

  const rxdag = (...args: string[]) =>
    spawnSync(process.execPath, ['-r', preload, CLI, ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, RXDAG_STORE: tmp.file('store') },
    });

  it('should say in one line that rxjs is missing and how to install it, for a command that runs a DAG', () => {
    const file = writeText(tmp.file('one.yaml'), 'id: one\ntasks:\n  - id: a\n    sleep: 0\n');
    const result = rxdag('run', file, '--no-journal');
    expect([result.status, result.stderr]).toEqual([
      2, // as for a missing pg: nothing ran
      'rxdag: the package "rxjs" is not installed (a peer dependency of rxdag, which npm leaves out with --legacy-peer-deps): npm install rxjs\n',
    ]);
  });

  it('should validate a DAG file without it', () => {
    const file = writeText(tmp.file('two.yaml'), 'id: two\ntasks:\n  - id: a\n    sleep: 0\n');
    expect(rxdag('validate', file).status).toBe(0);
  });
});
