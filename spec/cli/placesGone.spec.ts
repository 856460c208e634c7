import { mkdirSync, readdirSync, rmdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { ensureBuilt, runCli, startCli } from './support/builtCli';
import { tempDir, writeText } from './support/files';
import { waitUntil } from './support/journaledRuns';

/**
 * Places the CLI depends on that are gone or out of reach: a working directory removed under
 * it, a store it cannot look at, a run's journal file removed while the run goes on. Each is one
 * line and its exit code, never a stack trace, and never a run that goes on unrecorded.
 */
describe('rxdag where its places are gone', () => {
  const tmp = tempDir();
  beforeAll(ensureBuilt, 120_000);
  afterAll(() => tmp.remove());

  it('should refuse every command, exit 2 in one line, in a working directory that was removed', async () => {
    const dag = writeText(tmp.file('one.json'), JSON.stringify({ id: 'one', tasks: [{ id: 'a', run: 'true' }] }));
    for (const args of [
      ['run', dag, '--store', tmp.file('store')],
      ['runs', '--store', tmp.file('store')],
      ['validate', dag],
    ]) {
      const gone = tmp.file(`gone-${args[0]}`);
      mkdirSync(gone);
      const cli = startCli(args, {}, { cwd: gone });
      rmdirSync(gone); // the process is in it already: spawn returns once it runs there
      const result = await cli.done;
      expect(result).toMatchObject({
        code: 2,
        stderr:
          'rxdag: cannot read the working directory: ENOENT (no such file or directory): it was removed; run rxdag from a folder that exists\n',
      });
    }
  });

  it('should say that a store behind a symlink loop cannot be reached, for runs, show, resume and prune (exit 2)', async () => {
    const loop = tmp.file('loop');
    symlinkSync(loop, loop);
    const line = `rxdag: cannot reach the store ${loop}/ ("${loop}"): ELOOP (too many symbolic links encountered)\n`;
    for (const args of [['runs'], ['show', 'x-1'], ['resume', 'x-1'], ['prune', '--older-than', '1d']]) {
      const result = await runCli([...args, '--store', loop]);
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 2, stderr: line });
    }
  });

  it('should stop a run whose journal file was removed while it ran, exit 74, its next tasks not started', async () => {
    const store = tmp.file('unlinked-store');
    const started = tmp.file('a-started');
    const marker = tmp.file('b-ran');
    const dag = writeText(
      tmp.file('unlinked.json'),
      JSON.stringify({
        id: 'unlinked',
        tasks: [
          { id: 'a', run: `touch '${started}'; sleep 1` },
          { id: 'b', run: `touch '${marker}'`, deps: ['a'] },
        ],
      }),
    );
    const run = startCli(['run', dag, '--store', store]);
    await waitUntil(() => readdirSync(tmp.dir).includes('a-started'), 'task a to start');
    const journal = readdirSync(store).find((name) => name.endsWith('.jsonl'))!;
    rmSync(path.join(store, journal));
    const result = await run.done;
    expect(result.code).toBe(74);
    expect(result.stderr).toContain(
      'its journal file was removed while it ran; nothing more is written; run stopped, and cannot be resumed from this store (a journal moved elsewhere resumes there: --store)\n',
    );
    expect(readdirSync(tmp.dir)).not.toContain('b-ran');
    expect(readdirSync(store)).toEqual(['.gitignore']);
  });

  /**
   * `rxdag run` of a task whose shell runs `long` (it touches NAME-started first) beside a gate
   * that ends once it is told to, after the journal file was removed: the gate's end cannot be
   * written, and the run stops. Resolves with the run, once its journal failed.
   */
  async function journalFailing(name: string, long: (started: string) => string, killGraceMs: number) {
    const store = tmp.file(`${name}-store`);
    const [started, go] = [`${name}-started`, `${name}-go`].map((file) => tmp.file(file));
    const tasks = [
      { id: 'long', run: long(started!) },
      { id: 'gate', run: `until [ -e '${go}' ]; do sleep 0.05; done` },
    ];
    const run = startCli([
      'run',
      writeText(tmp.file(`${name}.json`), JSON.stringify({ id: name, tasks })),
      '--store',
      store,
      '--kill-grace',
      `${killGraceMs}`,
    ]);
    await waitUntil(() => readdirSync(tmp.dir).includes(`${name}-started`), 'task long to start');
    rmSync(
      path.join(
        store,
        readdirSync(store).find((file) => file.endsWith('.jsonl'))!,
      ),
    );
    writeText(go!, '');
    return run;
  }

  it('should give the tasks still running SIGTERM and their grace when the journal fails, as a stop signal does', async () => {
    const trapped = tmp.file('long-trapped');
    // its clean-up takes a moment: killed at once, it never ends
    const run = await journalFailing(
      'failing',
      (started) => `trap "sleep 0.5; touch '${trapped}'; exit 1" TERM; touch '${started}'; sleep 20 & wait`,
      10_000,
    );
    expect((await run.done).code).toBe(74);
    // its trap ran: SIGTERM, not SIGKILL
    expect(readdirSync(tmp.dir)).toContain('long-trapped');
  });

  it('should not promise a resume to a stop signal during that grace: the journal failed, and its line says what became of the run', async () => {
    const run = await journalFailing('graced', (started) => `trap '' TERM; touch '${started}'; sleep 20 & wait`, 5000);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the gate's end failed the journal; the task has its grace
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code).toBe(74);
    expect(result.stderr).toContain(
      "rxdag: stopping on SIGTERM: the run's journal could not be written; waiting for 1 running shell task to exit (Ctrl-C or a second SIGTERM to kill it now)\n",
    );
    expect(result.stderr).not.toContain('continues it');
  }, 20_000);

  it.each([
    ['a second SIGTERM', ['SIGTERM', 'SIGTERM']],
    ['SIGQUIT', ['SIGQUIT']],
  ] as const)(
    'should kill those tasks at once on %s, the failure still said and its code kept',
    async (_, signals) => {
      const run = await journalFailing(
        `hurried-${signals.length}`,
        (started) => `trap '' TERM; touch '${started}'; sleep 20 & wait`,
        10_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 1500)); // the gate's end failed the journal; the task has its grace
      for (const signal of signals) {
        run.child.kill(signal);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      const started = Date.now();
      const result = await run.done;
      expect(Date.now() - started).toBeLessThan(5000); // not the 10 s of grace
      expect(result.code).toBe(74);
      expect(result.stderr).toContain('its journal file was removed while it ran');
      expect(result.stderr).not.toContain('continues it');
    },
    30_000,
  );
});
