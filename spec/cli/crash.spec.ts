import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, watch } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DagEvent } from '../../src/index';
import { crashViolations, type KillRecord, killRecord } from '../journal/support/crashInvariants';
import { type CliResult, ensureBuilt, startCli } from './support/builtCli';
import { isRunning, writeText } from './support/files';
import { linesOf, waitUntil } from './support/journaledRuns';
import { positiveIntegerSetting, seededRandom } from '../support/seeded';

/**
 * Crash tests of the command line with real processes and real `kill -9`: `rxdag run` of a DAG
 * file of shell tasks is killed with SIGKILL at a random moment, then `rxdag resume` runs again
 * and again (each perhaps killed too) until one exits 0; then the journal and the tasks' marker
 * lines must satisfy the contract, checked by `spec/journal/support/crashInvariants.ts`:
 * at-least-once execution, each task's outcome recorded exactly once. Every shell task first
 * writes its shell's pid (`$$`, its process group) to a file, then appends
 * `$RXDAG_TASK_ID $RXDAG_ATTEMPT $PPID` (the checker's marker: `$PPID` is the CLI that ran it)
 * and `$RXDAG_TASK_ID $RXDAG_IDEMPOTENCY_KEY` (the key must be the same in every attempt and
 * every resume), then sleeps a few ms.
 *
 * `RXDAG_CLI_CRASH_KILLS` kill points (default 4; `npm run test:deep` runs 50), each in a fresh
 * folder; their random choices come from `RXDAG_CLI_CRASH_SEED` (default: the clock), printed in
 * the test names. A kill comes after a random delay counted from the process's spawn (most land
 * while Node starts, before the journal is touched) or, two times in three, from its first
 * write into the store (seen through `fs.watch`: the kill lands while tasks run), each up to the
 * typical length of that part, measured by a whole run first.
 *
 * Every kill point lands at least one kill. A delay drawn from the typical run can come after a
 * run that went faster had ended: when the first kill of a point misses so, the point starts
 * again in a fresh folder, its kill counted from the same moment and drawn within the time that
 * run actually took (within half of it on each further try, up to `MAX_REPLANS` tries); a point
 * that still killed nothing fails.
 */

const KILLS = positiveIntegerSetting('RXDAG_CLI_CRASH_KILLS', 4);
const SEED = positiveIntegerSetting('RXDAG_CLI_CRASH_SEED', Date.now() % 2 ** 31);
/** A CLI process that runs longer is killed and fails its test. */
const CHILD_TIMEOUT_MS = 30_000;
/** Processes per kill point at most: the run and its resumes. */
const MAX_CHILDREN = 12;
/** Resumes killed again per kill point at most (each with probability 1/2). */
const MAX_RESUME_KILLS = 3;
/** Fresh starts of a kill point whose run ended before its first planned kill, at most. */
const MAX_REPLANS = 4;
/** `RXDAG_CLI_CRASH_VERBOSE=1` prints where the kills landed (the journal's last `seq` then). */
const VERBOSE = process.env.RXDAG_CLI_CRASH_VERBOSE === '1';
const landed: string[] = [];
/** Kills that landed in each kill point, and the fresh starts after a kill that came too late. */
const killsOf: number[] = [];
let replanned = 0;

/**
 * The DAG: a setup, six builds and six tests side by side, a flaky task (fails its first
 * attempt, retried after 30 ms), two reports and a publish: 17 shell tasks, 4 at a time.
 */
function crashDag(dir: string): { file: string; tasks: number } {
  const step = `echo $$ >> "$PIDS"; echo "$RXDAG_TASK_ID $RXDAG_ATTEMPT $PPID" >> "$MARKERS"; echo "$RXDAG_TASK_ID $RXDAG_IDEMPOTENCY_KEY" >> "$KEYS"; sleep 0.01`;
  const task = (id: string, deps: readonly string[], extra: string[] = [], command = step) =>
    [`  - id: ${id}`, `    deps: [${deps.join(', ')}]`, `    run: '${command}'`, ...extra.map((line) => `    ${line}`)].join('\n');
  const six = [1, 2, 3, 4, 5, 6];
  const tasks = [
    task('setup', []),
    ...six.map((i) => task(`build-${i}`, ['setup'])),
    ...six.map((i) => task(`test-${i}`, [`build-${i}`])),
    task('flaky', ['test-1', 'test-2', 'test-3'], ['retry: { attempts: 2, backoffMs: 30 }'], `${step}; [ "$RXDAG_ATTEMPT" -ge 2 ]`),
    task('report-1', ['test-4', 'test-5', 'flaky']),
    task('report-2', ['test-6', 'flaky']),
    task('publish', ['report-1', 'report-2']),
  ];
  return { file: writeText(path.join(dir, 'crash.yaml'), `id: crash\ntasks:\n${tasks.join('\n')}\n`), tasks: tasks.length };
}

/** One kill point's folder: the DAG, the store, and the files its tasks write. */
function pointFiles(dir: string) {
  const env = { PIDS: path.join(dir, 'pids'), MARKERS: path.join(dir, 'markers'), KEYS: path.join(dir, 'keys') };
  return { dir, store: path.join(dir, 'store'), env: { ...env, RXDAG_STORE: path.join(dir, 'store') }, ...env };
}
type PointFiles = ReturnType<typeof pointFiles>;

/** The run's journal file in the store, once there is one. */
function journalOf(files: PointFiles): string | undefined {
  const names = existsSync(files.store) ? readdirSync(files.store).filter((name) => name.endsWith('.jsonl')) : [];
  if (names.length > 1) throw new Error(`more than one run in the store: ${names.join(', ')}`);
  return names[0] === undefined ? undefined : path.join(files.store, names[0]);
}

/**
 * After a CLI was killed with SIGKILL: kills the shell tasks it left running and waits until
 * they are gone, before anything resumes the run. A crash of the whole host would take them
 * down with the CLI; a crash of the CLI process alone leaves them running (each shell task has
 * its own process group), and a resume must not race with them. A shell writes its pid first
 * thing: the pid file is read again until it stays the same for a moment.
 */
async function killLeftovers(pidFile: string): Promise<void> {
  let known = -1;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    const pids = linesOf(pidFile).map(Number);
    for (const pid of pids.filter(isRunning)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // ended meanwhile
      }
    }
    await waitUntil(() => pids.every((pid) => !isRunning(pid)), 'the shell tasks of a killed CLI to end', 5000);
    if (pids.length === known) return;
    known = pids.length;
  }
}

/** When to kill a process: `killAfterMs` after its spawn, or after its first write into the store. */
interface KillPlan {
  readonly from: 'spawn' | 'store';
  readonly killAfterMs: number;
}

/** One CLI process of a kill point, for messages. */
interface Step {
  readonly command: 'run' | 'resume';
  readonly plan?: KillPlan;
  /** Ms from its spawn to its first write into the store, if it made one. */
  readonly firstWriteMs?: number;
  readonly result: CliResult;
  readonly ms: number;
  readonly pid: number;
}

/** Runs `rxdag run` or `rxdag resume`, killed with SIGKILL as `plan` says if it is still running then. */
async function runStep(command: 'run' | 'resume', files: PointFiles, dagFile: string, plan?: KillPlan): Promise<Step> {
  const args = command === 'run' ? ['run', dagFile, '-c', '4', '--quiet'] : ['resume', '--quiet'];
  mkdirSync(files.store, { recursive: true }); // to be watched from the start
  const started = Date.now();
  let firstWriteMs: number | undefined;
  let kill: NodeJS.Timeout | undefined;
  const cli = startCli(args, files.env, { cwd: files.dir });
  const killLater = () => (kill = setTimeout(() => cli.child.kill('SIGKILL'), plan!.killAfterMs));
  const watcher = watch(files.store, () => {
    if (firstWriteMs !== undefined) return;
    firstWriteMs = Date.now() - started;
    if (plan?.from === 'store') killLater();
  });
  if (plan?.from === 'spawn') killLater();
  const overrun = setTimeout(() => cli.child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
  try {
    const result = await cli.done;
    return { command, plan, firstWriteMs, result, ms: Date.now() - started, pid: cli.child.pid! };
  } finally {
    watcher.close();
    clearTimeout(kill);
    clearTimeout(overrun);
  }
}

/**
 * The kill of a kill point's fresh start after its first kill missed: `missed` ran to the end of
 * the run before its plan came. The new kill counts from the same moment (its spawn, or its first
 * write into the store) and is drawn within what `missed` actually ran from there, within half of
 * that on the second try, a quarter on the third…, never later than the plan that missed.
 */
function replan(missed: Step, tries: number, random: () => number): KillPlan {
  const plan = missed.plan!;
  const ranMs = plan.from === 'spawn' ? missed.ms : missed.ms - (missed.firstWriteMs ?? 0);
  return { from: plan.from, killAfterMs: Math.min(plan.killAfterMs, Math.floor((random() * ranMs) / 2 ** (tries - 1))) };
}

function describePlan(plan: KillPlan | undefined): string {
  return plan === undefined ? 'no kill' : `kill ${plan.killAfterMs} ms after its ${plan.from === 'spawn' ? 'spawn' : 'first store write'}`;
}

function describeStep(step: Step, k: number): string {
  const { result } = step;
  const how = result.signal !== null ? `signal ${result.signal}` : `exit ${result.code}`;
  const plan = describePlan(step.plan);
  const stderr = result.stderr.trim() === '' ? '' : `\n      stderr: ${result.stderr.trim().split('\n').slice(0, 6).join('\n      ')}`;
  return `  ${k + 1}. ${step.command} pid ${step.pid} (${plan}): ${how} after ${step.ms} ms${stderr}`;
}

const folders: string[] = [];
/** A whole run: spawn to its first write into the store, and from there to its exit. */
let startupMs = 0;
let runMs = 0;

beforeAll(async () => {
  await ensureBuilt();
  // whole runs without kills: how long a run takes here (the second, warm), and that it satisfies the invariants
  for (let round = 0; round < 2; round++) {
    const files = pointFiles(tempFolder());
    const { file } = crashDag(files.dir);
    const step = await runStep('run', files, file);
    if (step.result.code !== 0 || step.firstWriteMs === undefined) throw new Error(`the DAG does not run:\n${describeStep(step, 0)}`);
    const problems = crashViolations(journalOf(files)!, files.MARKERS, []);
    if (problems.length > 0) throw new Error(`a run without kills breaks the invariants:\n${problems.join('\n')}`);
    startupMs = step.firstWriteMs;
    runMs = step.ms - step.firstWriteMs;
  }
}, 120_000);

afterEach(async () => {
  for (const dir of folders.splice(0)) {
    const pids = linesOf(path.join(dir, 'pids')).map(Number);
    const alive = pids.filter(isRunning);
    for (const pid of alive) process.kill(-pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    if (alive.length > 0) throw new Error(`shell tasks left running: ${alive.join(', ')}`);
  }
});

afterAll(() => {
  if (!VERBOSE) return;
  const counts = Array.from({ length: KILLS }, (_, point) => killsOf[point] ?? 0);
  const perPoint = counts.map((n, point) => `${point}:${n}`).join(' ');
  console.log(
    `seed ${SEED}, a whole run ${startupMs} + ${runMs} ms, kills:\n${landed.join('\n')}\n` +
      `${counts.reduce((sum, n) => sum + n, 0)} kills landed, in ${counts.filter((n) => n > 0).length} of ${KILLS} kill points (point:kills ${perPoint}); ` +
      `${replanned} fresh starts after a first kill that came too late`,
  );
});

describe(`rxdag run killed with SIGKILL, then rxdag resume until it ends (${KILLS} kill points, seed ${SEED})`, () => {
  it.each(Array.from({ length: KILLS }, (_, k) => k))(
    `kill point %i (seed ${SEED})`,
    async (point) => {
      const random = seededRandom((SEED + Math.imul(point + 1, 0x9e3779b9)) >>> 0);
      let files = pointFiles(tempFolder());
      let dag = crashDag(files.dir);
      const steps: Step[] = [];
      const kills: KillRecord[] = [];
      const fail = (why: string): never => {
        throw new Error(`seed ${SEED}, kill point ${point}: ${why}\n${steps.map(describeStep).join('\n')}`);
      };

      let command: 'run' | 'resume' = 'run';
      let resumeKills = 0;
      /** Fresh starts after a first kill that missed; the first step of the current start; its kill. */
      let replans = 0;
      let since = 0;
      let again: KillPlan | undefined;
      for (;;) {
        if (steps.length - since === MAX_CHILDREN) fail(`no process ended the run in ${MAX_CHILDREN} tries`);
        // the first process is always killed; a resume, half the time
        const killed = again !== undefined || steps.length === 0 || (resumeKills < MAX_RESUME_KILLS && random() < 0.5);
        const plan: KillPlan | undefined = !killed
          ? undefined
          : (again ??
            (random() < 1 / 3
              ? { from: 'spawn', killAfterMs: Math.floor(random() * (startupMs + runMs)) }
              : { from: 'store', killAfterMs: Math.floor(random() * runMs) }));
        again = undefined;
        const step = await runStep(command, files, dag.file, plan);
        steps.push(step);
        const { result } = step;
        if (result.signal === 'SIGKILL') {
          if (plan === undefined || step.ms >= CHILD_TIMEOUT_MS) return fail(`a ${command} process ran over ${CHILD_TIMEOUT_MS} ms`);
          await killLeftovers(files.PIDS);
          const journal = journalOf(files) ?? path.join(files.store, 'none.jsonl');
          const where = `${command} killed ${plan.killAfterMs} ms after its ${plan.from === 'spawn' ? 'spawn' : 'first store write'}`;
          kills.push(killRecord(journal, files.MARKERS, step.pid, `kill ${kills.length + 1} (${where})`));
          landed.push(`  point ${point}: ${where}, the journal at seq ${kills.at(-1)!.lastSeq}`);
          if (command === 'resume') resumeKills++;
          command = 'resume';
          continue;
        }
        if (plan !== undefined)
          landed.push(`  point ${point}: ${command} (${describePlan(plan)}) missed: ended with exit ${result.code} after ${step.ms} ms`);
        if (result.code === 0 && kills.length === 0 && replans < MAX_REPLANS) {
          // the run ended before its first kill came: nothing was killed, so the point starts
          // again in a fresh folder (this run is over), its kill drawn within what this run took
          replans++;
          replanned++;
          files = pointFiles(tempFolder());
          dag = crashDag(files.dir);
          again = replan(step, replans, random);
          since = steps.length;
          command = 'run';
          continue;
        }
        if (result.code === 0) break;
        // killed before its journal existed: nothing to resume (exit 2), so the run starts afresh
        if (result.code === 2 && command === 'resume' && journalOf(files) === undefined) {
          command = 'run';
          continue;
        }
        // killed after the run's dag.completed was journaled: it had ended, the invariants decide
        if (result.code === 2 && command === 'resume' && /every run ended/.test(result.stderr)) break;
        fail(`a ${command} process ended with ${result.signal ?? `exit code ${result.code}`}`);
      }

      // a kill point that killed nothing tested no crash
      killsOf[point] = kills.length;
      if (kills.length === 0) fail(`no kill landed: ${replans + 1} runs each ended before their planned kill`);
      const journal = journalOf(files)!;
      const violations = crashViolations(journal, files.MARKERS, kills);
      const runId = path.basename(journal, '.jsonl');
      const events = linesOf(journal)
        .slice(1)
        .map((line) => JSON.parse(line) as DagEvent);
      const completed = events.filter((event) => event.type === 'task.completed');
      if (completed.length !== dag.tasks) violations.push(`${completed.length} tasks completed, ${dag.tasks} expected`);
      const flaky = completed.find((event) => event.type === 'task.completed' && event.taskId === 'flaky');
      if (flaky?.attempt !== 2) violations.push(`flaky should complete with attempt 2, got ${flaky?.attempt}`);
      for (const line of linesOf(files.KEYS)) {
        const [taskId, key] = line.split(' ');
        if (key !== `${runId}/${taskId}`) violations.push(`task ${taskId} saw RXDAG_IDEMPOTENCY_KEY ${key}, not ${runId}/${taskId}`);
      }
      if (existsSync(path.join(files.store, `${runId}.lock`))) violations.push('the lock file is still there after the run ended');
      if (violations.length > 0) fail(`${violations.length} violations:\n  ${violations.join('\n  ')}`);
    },
    180_000,
  );
});

function tempFolder(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rxdag-cli-crash-'));
  folders.push(dir);
  return dir;
}
