import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { DagEvent } from '../../../src/index';
import { printedRunId, startCli } from './builtCli';
import { isRunning, writeText } from './files';
import { rxdagInProcess } from './inProcessCli';

/**
 * Journaled runs for the CLI specs: a DAG file whose middle task waits for a gate file (so a
 * run can be caught while it runs), a run killed with SIGKILL the way a crash kills it, and the
 * files of a store folder. Every task appends `taskId attempt` to `$MARKERS`, so a spec sees what
 * ran; the gated task writes its shell's pid (`$$`, its process group) to `$PIDS` first.
 */

/** A DAG file `first -> gate -> last` with id `dagId`, in `dir`. */
export function gatedDag(dir: string, dagId: string): string {
  const mark = 'echo "$RXDAG_TASK_ID $RXDAG_ATTEMPT" >> "$MARKERS"';
  return writeText(
    path.join(dir, `${dagId}.yaml`),
    [
      `id: ${dagId}`,
      'tasks:',
      '  - id: first',
      `    run: ${mark}`,
      '  - id: gate',
      '    deps: [first]',
      `    run: echo $$ >> "$PIDS"; ${mark}; while [ ! -f "$GATE" ]; do sleep 0.05; done`,
      '  - id: last',
      '    deps: [gate]',
      `    run: ${mark}`,
      '',
    ].join('\n'),
  );
}

/** The files a gated run uses, in `dir`, as the environment its tasks see. */
export function gatedEnv(dir: string): { MARKERS: string; PIDS: string; GATE: string } {
  return { MARKERS: path.join(dir, 'markers'), PIDS: path.join(dir, 'pids'), GATE: path.join(dir, 'gate') };
}

/** Lines of a file, `[]` when it does not exist. */
export function linesOf(file: string): string[] {
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
    : [];
}

/**
 * Waits until `condition` holds (checked every 20 ms), or fails after `withinMs`; the failure
 * says what `seen` gives then (what a process printed so far, say).
 */
export async function waitUntil(condition: () => boolean, what: string, withinMs = 15_000, seen?: () => string): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${seen === undefined ? '' : `; ${seen()}`}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * SIGKILLs the process groups whose leaders' pids are in `pidFile` and waits until they are gone.
 * A CLI killed with SIGKILL cannot stop its shell tasks (each runs in its own process group):
 * a crash of the whole host would take them down with it, a crash of the CLI alone does not.
 */
export async function killGroups(pidFile: string): Promise<void> {
  const pids = linesOf(pidFile).map(Number);
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await waitUntil(() => pids.every((pid) => !isRunning(pid)), `process groups ${pids.join(', ')} to end`, 5000);
}

/**
 * Starts `rxdag run` of a gated DAG (journaling into `env.RXDAG_STORE`), and once the journal
 * says its gate task is running, kills it with SIGKILL (and its shell tasks, see
 * {@link killGroups}): a run left `interrupted` in the store. Returns its id. The run is a
 * process of its own; the journal is read in this process.
 */
export async function interruptedRun(dagFile: string, env: Record<string, string>, args: readonly string[] = []): Promise<string> {
  const store = env.RXDAG_STORE;
  if (store === undefined || store === '') throw new Error('interruptedRun needs the store in env.RXDAG_STORE');
  const before = linesOf(env.PIDS!).length;
  const cli = startCli(['run', dagFile, '--quiet', ...args], env);
  let ended = false;
  void cli.done.then(() => (ended = true));
  await waitUntil(() => ended || linesOf(env.PIDS!).length > before, 'the gate task to start');
  if (ended) throw new Error(`the run ended before its gate task started: ${(await cli.done).stderr}`);
  await waitUntil(() => printedRunId(cli.stderrSoFar()) !== undefined, 'the run id on stderr');
  const runId = printedRunId(cli.stderrSoFar())!;
  // the shell may run before the CLI journals its `task.started` (at the end of the flush that
  // launched it): wait for the journal to say so, so that the kill leaves the attempt in flight
  await waitFor(async () => {
    const shown = await rxdagInProcess('show', runId, '--store', store, '--json');
    return (
      shown.code === 0 &&
      (JSON.parse(shown.stdout) as { tasks: { id: string; state: string }[] }).tasks.some((t) => t.id === 'gate' && t.state === 'running')
    );
  }, 'the journal to hold the start of the gate task');
  cli.child.kill('SIGKILL');
  await cli.done;
  await killGroups(env.PIDS!);
  return runId;
}

/** {@link waitUntil} for a condition that takes time to check (a CLI process). */
async function waitFor(condition: () => Promise<boolean>, what: string, withinMs = 15_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The events of a run's journal file in a store folder. */
export function journalEvents(store: string, runId: string): DagEvent[] {
  return linesOf(path.join(store, `${runId}.jsonl`))
    .slice(1)
    .map((line) => JSON.parse(line) as DagEvent);
}

/** The journal files of a store folder (`[]` when there is none), with their sizes. */
export function storeFiles(store: string): Record<string, number> {
  if (!existsSync(store)) return {};
  return Object.fromEntries(readdirSync(store).map((name) => [name, statSync(path.join(store, name)).size]));
}
