import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, ensureBuilt, ROOT } from './support/builtCli';
import { tempDir, writeText } from './support/files';

/**
 * What each command loads: a command pays only for the libraries it uses. `--version` and `--help`
 * load no validation or scheduling library; the journal's and the DAG file's commands load no
 * RxJS; nothing loads a Redis, PostgreSQL or metrics client it was not asked to use, nor `run` the
 * progress bar's package where it draws none.
 */
describe('the libraries each rxdag command loads', () => {
  const tmp = tempDir();
  const preload = path.join(__dirname, 'fixtures', 'loadedPackages.js');
  let file = '';
  let runId = '';

  beforeAll(async () => {
    await ensureBuilt();
    file = writeText(tmp.file('two.yaml'), 'id: two\ntasks:\n  - id: a\n    sleep: 0\n  - id: b\n    sleep: 0\n    deps: [a]\n');
    const run = loaded('run', file, '--quiet');
    runId = /rxdag: run (\S+)/.exec(run.stderr)?.[1] ?? '';
  }, 60_000);
  afterAll(() => tmp.remove());

  let count = 0;
  /** Runs the built CLI to its end and gives the packages it loaded. */
  function loaded(...args: string[]): { readonly packages: string[]; readonly stderr: string } {
    const out = tmp.file(`loaded-${++count}.json`);
    const result = spawnSync(process.execPath, ['-r', preload, CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, RXDAG_STORE: tmp.file('store'), RXDAG_SPEC_LOADED: out },
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (result.status !== 0) throw new Error(`rxdag ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
    return { packages: JSON.parse(readFileSync(out, 'utf8')) as string[], stderr: result.stderr };
  }

  const clients = ['bullmq', 'ioredis', 'pg', 'prom-client', '@opentelemetry/api'];

  it.each(['--version', '--help', 'run --help'])('should have `rxdag %s` load neither zod nor RxJS', (command) => {
    const { packages } = loaded(...command.split(' '));
    expect(packages).not.toContain('zod');
    expect(packages).not.toContain('rxjs');
    expect(packages.filter((name) => clients.includes(name))).toEqual([]);
  });

  it.each(['runs', 'show RUN', 'validate FILE', 'graph FILE', 'prune --keep 5 --dry-run'])(
    'should have `rxdag %s` load no RxJS',
    (command) => {
      expect(runId).not.toBe('');
      const { packages } = loaded(...command.split(' ').map((arg) => (arg === 'RUN' ? runId : arg === 'FILE' ? file : arg)));
      expect(packages).not.toContain('rxjs');
      expect(packages.filter((name) => clients.includes(name))).toEqual([]);
    },
  );

  it('should have `rxdag run` load RxJS and zod and no client it was not asked to use', () => {
    const { packages } = loaded('run', file, '--no-journal', '--quiet');
    expect(packages).toEqual(expect.arrayContaining(['rxjs', 'zod']));
    expect(packages.filter((name) => clients.includes(name))).toEqual([]);
  });

  it('should have `rxdag run` load the progress bar only where it draws one', () => {
    // no terminal here: --quiet prints lines, and without it the run prints lines too
    expect(loaded('run', file, '--no-journal', '--quiet').packages).not.toContain('cli-progress');
    expect(loaded('run', file, '--no-journal').packages).not.toContain('cli-progress');
  });
});
