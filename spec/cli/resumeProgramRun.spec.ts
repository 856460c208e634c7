import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lastValueFrom } from 'rxjs';
import { type Agent, defineDag, fileJournal, runDag } from '../../src/index';
import { tempDir, writeText } from './support/files';
import { rxdagInProcess as rxdag } from './support/inProcessCli';
import { interruptedProgramRun } from './support/programRuns';

/**
 * `rxdag resume` of a run a program made with the library (its tasks name agents the command
 * line does not have, or its record lacks the mark `rxdag run` gives its runs): refused in one line that says where to resume it, exit 2, the store left
 * as it was (no lock, the journal untouched); and a bare `rxdag resume` does not pick it, nor
 * an older run in its place: it names the run of the command line to resume instead.
 */
describe('rxdag resume of a run a program made', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  /** The files of a store folder and what they hold. */
  const contentsOf = (store: string) =>
    Object.fromEntries(readdirSync(store).map((name) => [name, readFileSync(path.join(store, name), 'utf8')]));

  /** A run of the command line of DAG `dagId` (`a`, then `b`) in `store`, its journal cut as a process killed while `b` ran leaves it; its id. */
  async function interruptedCliRun(store: string, dagId: string): Promise<string> {
    const dag = writeText(tmp.file(`${dagId}.yaml`), `id: ${dagId}\ntasks:\n  - { id: a, sleep: 1 }\n  - { id: b, deps: [a], sleep: 1 }\n`);
    const run = await rxdag('run', dag, '--store', store, '--quiet');
    const cliRun = /^rxdag: run (\S+) /m.exec(run.stderr)![1]!;
    const journal = path.join(store, `${cliRun}.jsonl`);
    const lines = readFileSync(journal, 'utf8').split('\n');
    const cut = lines.findIndex((line) => line.includes('"task.started"') && line.includes('"taskId":"b"'));
    writeFileSync(journal, `${lines.slice(0, cut + 1).join('\n')}\n`);
    return cliRun;
  }

  const refusal = (runId: string) =>
    `run "${runId}" uses agents the command line does not have (planner, llm): it was made by a program; resume it there with resumeRun(journal, "${runId}", { agents })`;

  it('should say in one line that a program made it and where to resume it, and change nothing', async () => {
    const store = tmp.file('named');
    await interruptedProgramRun(store, tmp.file('named-scratch'), 'drafts-1');
    const before = contentsOf(store);
    expect(await rxdag('resume', 'drafts-1', '--store', store, '--events', tmp.file('named.jsonl'))).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: ${refusal('drafts-1')}\n`,
    });
    expect(contentsOf(store)).toEqual(before);
    expect(readdirSync(tmp.dir)).not.toContain('named.jsonl');
  });

  it('should name the agents of the tasks it spawned in the refusal of a bare resume too, as when it is named', async () => {
    const store = tmp.file('spawned');
    const scratch = tmp.file('spawned-scratch');
    const planner: Agent = (ctx) => {
      ctx.spawn([{ id: 'write', agent: 'llm' }]);
      return 'planned';
    };
    const llm: Agent = () => 'text';
    const dag = defineDag({ id: 'plans', tasks: [{ id: 'plan', agent: 'planner' }] });
    await lastValueFrom(
      runDag(dag, { agents: { planner, llm }, journal: fileJournal(scratch), runId: 'plans-1', healthCheckIntervalMs: 0 }),
    );
    const lines = readFileSync(path.join(scratch, 'plans-1.jsonl'), 'utf8').split('\n');
    mkdirSync(store);
    const spawned = lines.findIndex((line) => line.includes('"tasks.spawned"'));
    writeFileSync(path.join(store, 'plans-1.jsonl'), `${lines.slice(0, spawned + 1).join('\n')}\n`);
    const refused =
      'run "plans-1" uses agents the command line does not have (planner, llm): it was made by a program; resume it there with resumeRun(journal, "plans-1", { agents })';
    expect(await rxdag('resume', 'plans-1', '--store', store)).toMatchObject({ code: 2, stderr: `rxdag: ${refused}\n` });
    expect(await rxdag('resume', '--store', store)).toMatchObject({
      code: 2,
      stderr: `rxdag: the newest interrupted run is a program's: ${refused}; no other interrupted run of the store is one the command line goes on with (rxdag runs lists them)\n`,
    });
  });

  it("should refuse it when its agents have the command line's names but not its inputs (a program's own `shell`)", async () => {
    const store = tmp.file('own-shell');
    const scratch = tmp.file('own-shell-scratch');
    // as the README's remote example names its agent: `shell`, with an input of its own shape
    const dag = defineDag({
      id: 'builds',
      tasks: [
        { id: 'compile', agent: 'shell', input: { command: 'make', cwd: '/src' } },
        { id: 'pack', agent: 'shell', deps: ['compile'], input: { command: 'make dist', cwd: '/src' } },
      ],
    });
    const shell: Agent = () => 'done';
    await lastValueFrom(runDag(dag, { agents: { shell }, journal: fileJournal(scratch), runId: 'builds-1', healthCheckIntervalMs: 0 }));
    const lines = readFileSync(path.join(scratch, 'builds-1.jsonl'), 'utf8').split('\n');
    mkdirSync(store);
    const started = lines.findIndex((line) => line.includes('"task.started"'));
    writeFileSync(path.join(store, 'builds-1.jsonl'), `${lines.slice(0, started + 1).join('\n')}\n`);
    const before = contentsOf(store);
    const refused =
      'run "builds-1" has no mark of rxdag run in its record, though its agents have the command line\'s names: a program made it (resume it there with resumeRun(journal, "builds-1", { agents })), or an rxdag older than this one did, from tasks other than run: and sleep: (run its DAG file again)';

    expect(await rxdag('resume', 'builds-1', '--store', store)).toEqual({ code: 2, stdout: '', stderr: `rxdag: ${refused}\n` });
    expect(await rxdag('resume', '--store', store)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: the newest interrupted run is a program's: ${refused}; no other interrupted run of the store is one the command line goes on with (rxdag runs lists them)\n`,
    });
    expect(contentsOf(store)).toEqual(before);
  });

  it('should not pick it as the newest interrupted run, and name the newest run of the command line instead', async () => {
    const store = tmp.file('newest');
    // a run of the command line, older, whose process stopped while `b` ran
    const cliRun = await interruptedCliRun(store, 'chain');
    await interruptedProgramRun(store, tmp.file('newest-scratch'), 'drafts-2');
    const before = contentsOf(store);

    expect(await rxdag('resume', '--store', store)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: the newest interrupted run is a program's: ${refusal('drafts-2')}; the newest the command line made: rxdag resume ${cliRun} --store ${store}\n`,
    });
    expect(contentsOf(store)).toEqual(before);
    // which resumes as it says
    expect(await rxdag('resume', cliRun, '--store', store, '--quiet')).toMatchObject({ code: 0 });
    expect(await rxdag('resume', '--store', store)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: the newest interrupted run is a program's: ${refusal('drafts-2')}; no other interrupted run of the store is one the command line goes on with (rxdag runs lists them)\n`,
    });
  });

  it("should take neither a program's runs of a DAG, side by side, nor one after a run of the command line, as starting that DAG over", async () => {
    const store = tmp.file('side-by-side');
    // a run of the command line of DAG `drafts`, whose process stopped while `b` ran
    const cliRun = await interruptedCliRun(store, 'drafts');
    // then a service's two runs of the same DAG, both interrupted
    await interruptedProgramRun(store, tmp.file('side-scratch-1'), 'drafts-3');
    await interruptedProgramRun(store, tmp.file('side-scratch-2'), 'drafts-4');

    const listed = await rxdag('runs', '--store', store);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain('interrupted*');
    expect(await rxdag('resume', '--store', store)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: the newest interrupted run is a program's: ${refusal('drafts-4')}; the newest the command line made: rxdag resume ${cliRun} --store ${store}\n`,
    });
  });

  it("should refuse a program's run that ended without the command line's hints (Ctrl-C, run the DAG file again)", async () => {
    const store = tmp.file('ended');
    const dag = defineDag({ id: 'drafts', tasks: [{ id: 'plan', agent: 'planner' }] });
    const agents: Record<string, Agent> = { planner: () => new Promise(() => undefined) };
    // cancelled: its subscriber went away once the planner ran
    await new Promise<void>((resolve) => {
      const subscription = runDag(dag, { agents, journal: fileJournal(store), runId: 'drafts-9', healthCheckIntervalMs: 0 }).subscribe(
        (event) => {
          if (event.type === 'task.started') setImmediate(() => (subscription.unsubscribe(), resolve()));
        },
      );
    });
    // its journal records the end as it closes
    for (const deadline = Date.now() + 5000; !readFileSync(path.join(store, 'drafts-9.jsonl'), 'utf8').includes('"dag.completed"');) {
      if (Date.now() > deadline) throw new Error('the cancelled run was not recorded as ended');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const refused = await rxdag('resume', 'drafts-9', '--store', store);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^rxdag: run "drafts-9" .*cancelled.*\n$/);
    expect(refused.stderr).not.toContain('rxdag run FILE');
  });
});
