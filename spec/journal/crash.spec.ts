import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DagEvent } from '../../src/index';
import { ensureBuilt, ROOT } from '../cli/support/builtCli';
import { crashViolations, type KillRecord, killRecord } from './support/crashInvariants';
import { type Child, type ChildEnd, Children } from './support/processes';
import { positiveIntegerSetting, seededRandom } from '../support/seeded';

/**
 * Crash tests with real processes and real `kill -9`: a child process runs a durable run of a
 * 29-task DAG (`fixtures/crashRun.js`, on the built `dist/`), is killed with SIGKILL at a
 * random moment, and is resumed in new processes (each perhaps killed again) until one ends
 * the run; then the journal and the agents' execution markers must satisfy the contract
 * (`support/crashInvariants.ts`): at-least-once execution, each outcome recorded exactly once.
 *
 * `RXDAG_CRASH_KILLS` kill points (default 6; `npm run test:deep` runs 60), each in a fresh
 * folder. Their random choices come from `RXDAG_CRASH_SEED` (default: the clock), printed in
 * every test name: the same seed makes the same choices (the processes' timing still varies).
 * `RXDAG_CRASH_VERBOSE=1` prints where the kills landed.
 *
 * Kill timings, cycled over the kill points (the delays are scaled by a calibration run):
 * - `run`: a random delay from 0 up to the run's typical length, counted from the child's first
 *   journal write (for a start: the journal file's creation);
 * - `run-early`: 0–5 ms after its first write (during the first flushes: `dag.created`, the first
 *   dispatch);
 * - `spawn`: a random delay counted from the spawn, up to its typical whole life: most land while
 *   Node starts or the journal is being created or taken over, before anything ran;
 * - `flush`: aimed at a journal flush. The spec watches the journal folder (inotify, through
 *   `fs.watch`) and sends SIGKILL from the watch callback as soon as the n-th write of the child
 *   lands. The signal arrives well within the `fdatasync` that follows a durable group's write
 *   (~3 ms on this disk; a probe child doing write + fdatasync + report was killed before
 *   reporting the aimed write's sync 19 times in 20), so a durable group is cut written but not
 *   acknowledged, before anything it releases starts; after a non-durable group (no fsync) the
 *   kill lands in the work that follows it. Watch events count the file's creation as write 1:
 *   `flush-first` kills a start when `fileJournal.create` has just created the journal file,
 *   before or while it writes the header; `flush` #2 is the header's write and fsync.
 *
 * A child killed before its journal file existed has nothing to resume (exit 3): the run is
 * started again. Anything else but exit 0 or our SIGKILL fails the kill point, with the history
 * of its processes.
 *
 * Every kill point lands at least one kill. A delay drawn from the typical run can come after a
 * run that went faster had ended: when the first kill of a point misses so, the point starts
 * again in a fresh folder, its kill drawn within the time that run actually took (and within
 * half of it on each further try, up to `MAX_REPLANS` tries); a point that still killed nothing
 * fails.
 */

const KILLS = positiveIntegerSetting('RXDAG_CRASH_KILLS', 6);
const SEED = positiveIntegerSetting('RXDAG_CRASH_SEED', Date.now() % 2 ** 31);
const VERBOSE = process.env.RXDAG_CRASH_VERBOSE === '1';
const FIXTURE = path.join(__dirname, 'fixtures', 'crashRun.js');
const DIST = path.join(ROOT, 'dist', 'index.js');
/** A child that runs longer is killed and fails its test. */
const CHILD_TIMEOUT_MS = 20_000;
/** Processes per kill point at most: the start and its resumes. */
const MAX_CHILDREN = 10;
/** Resumes killed again per kill point at most (each with probability 1/2). */
const MAX_RESUME_KILLS = 3;
/** Fresh starts of a kill point whose run ended before its first planned kill, at most. */
const MAX_REPLANS = 4;
const TASKS = 29;

type KillPlan =
  | { readonly kind: 'spawn'; readonly delayMs: number }
  | { readonly kind: 'run' | 'run-early'; readonly delayMs: number }
  | { readonly kind: 'flush' | 'flush-first'; readonly write: number };

/** How a whole run goes, measured without kills (the second of two runs: warm, as most children are). */
interface Calibration {
  /** Spawn to the first journal write. */
  readonly startupMs: number;
  /** First journal write to exit. */
  readonly runMs: number;
  /** Journal writes seen. */
  readonly writes: number;
  /** Events of the whole run. */
  readonly events: number;
}

/** One child of a kill point, for messages. */
interface Step {
  readonly mode: 'start' | 'resume';
  readonly plan?: KillPlan;
  readonly end: ChildEnd;
  /** Journal writes seen while it ran; ms from spawn to the first. */
  readonly writes: number;
  readonly firstWriteMs?: number;
  /** When we sent SIGKILL (ms from spawn), and how many journal writes we had seen then. */
  readonly kill?: { readonly ms: number; readonly writes: number };
}

const children = new Children();
const folders: string[] = [];
const landed: string[] = [];
/** Kills that landed in each kill point, and the fresh starts after a kill that came too late. */
const killsOf: number[] = [];
let replanned = 0;

function tempFolder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-crash-'));
  folders.push(dir);
  return dir;
}

/** The files of one run in `dir`. */
function runFiles(dir: string, runId: string) {
  const journalDir = path.join(dir, 'journal');
  fs.mkdirSync(journalDir, { recursive: true });
  return {
    journalDir,
    journal: path.join(journalDir, `${runId}.jsonl`),
    lock: path.join(journalDir, `${runId}.lock`),
    markers: path.join(dir, 'markers'),
  };
}

/**
 * Runs the fixture once (`start` or `resume`), killing it as `plan` says; resolves when it is
 * gone. Journal writes are seen through `fs.watch` on the journal folder.
 */
async function runChild(
  mode: 'start' | 'resume',
  files: ReturnType<typeof runFiles>,
  runId: string,
  plan?: KillPlan,
  env?: Record<string, string>,
): Promise<Step> {
  const name = path.basename(files.journal);
  let writes = 0;
  let firstWriteMs: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let child: Child | undefined;
  let kill: Step['kill'];
  const killNow = () => {
    kill ??= { ms: Date.now() - child!.spawnedAt, writes };
    child!.kill();
  };
  const watcher = fs.watch(files.journalDir, (_type, file) => {
    if (file !== name || child === undefined) return;
    writes++;
    if (writes === 1) {
      firstWriteMs = Date.now() - child.spawnedAt;
      if (plan?.kind === 'run' || plan?.kind === 'run-early') timer = setTimeout(killNow, plan.delayMs);
    }
    if ((plan?.kind === 'flush' || plan?.kind === 'flush-first') && writes === plan.write) killNow(); // at once: during that write's fdatasync, if it has one
  });
  try {
    child = children.start([FIXTURE, DIST, mode, files.journalDir, runId, files.markers], { timeoutMs: CHILD_TIMEOUT_MS, env, cwd: ROOT });
    if (plan?.kind === 'spawn') timer = setTimeout(killNow, plan.delayMs);
    const end = await child.done;
    return { mode, plan, end, writes, firstWriteMs, kill };
  } finally {
    clearTimeout(timer);
    watcher.close();
  }
}

/** Where a killed child was, for the verbose summary. */
function whereKilled(step: Step): string {
  const { plan, kill } = step;
  const at =
    kill === undefined
      ? 'at an unknown moment'
      : kill.writes === 0
        ? `${kill.ms} ms after the spawn, before its first journal write`
        : `${kill.ms - step.firstWriteMs!} ms after its first journal write, at write ${kill.writes}`;
  return `${step.mode} ${plan?.kind ?? '?'}${plan && 'write' in plan ? ` #${plan.write}` : ''}: ${at} (${step.writes} writes seen in all)`;
}

function describeStep(step: Step, k: number): string {
  const { end } = step;
  const plan = step.plan === undefined ? 'no kill' : JSON.stringify(step.plan);
  const how = end.timedOut ? 'TIMED OUT' : end.signal !== null ? `signal ${end.signal}` : `exit ${end.code}`;
  const err = end.stderr.trim() === '' ? '' : `\n      stderr: ${end.stderr.trim().split('\n').slice(0, 5).join('\n      ')}`;
  return `  ${k + 1}. ${step.mode} pid ${end.pid} (${plan}): ${how} after ${end.ms} ms, ${step.writes} journal writes${err}`;
}

/** The kill of a kill point's first child; the kinds cycle so that any 6 kill points cover them all. */
function firstPlan(point: number, random: () => number, cal: Calibration): KillPlan {
  const kinds = ['run', 'flush-first', 'spawn', 'run-early', 'flush', 'run'] as const;
  const kind = kinds[point % kinds.length]!;
  switch (kind) {
    case 'run':
      return { kind, delayMs: Math.floor(random() * cal.runMs) };
    case 'run-early':
      return { kind, delayMs: Math.floor(random() * 6) };
    case 'spawn':
      return { kind, delayMs: Math.floor(random() * (cal.startupMs + cal.runMs)) };
    case 'flush-first':
      return { kind, write: 1 };
    case 'flush':
      return { kind, write: 1 + Math.floor(random() * cal.writes) };
  }
}

/**
 * The kill of a kill point's fresh start after its first kill missed: `missed` ran to the end of
 * the run before its `plan` came. The new kill is of the same kind, drawn within what `missed`
 * actually ran (from the same moment: its spawn, or its first journal write; or within the writes
 * it made), within half of that on the second try, a quarter on the third…, and never later than
 * the plan that missed.
 */
function replan(missed: Step, tries: number, random: () => number): KillPlan {
  const plan = missed.plan!;
  const share = 1 / 2 ** (tries - 1);
  switch (plan.kind) {
    case 'spawn':
      return { kind: plan.kind, delayMs: Math.min(plan.delayMs, Math.floor(random() * missed.end.ms * share)) };
    case 'run':
    case 'run-early':
      return {
        kind: plan.kind,
        delayMs: Math.min(plan.delayMs, Math.floor(random() * (missed.end.ms - (missed.firstWriteMs ?? 0)) * share)),
      };
    case 'flush':
    case 'flush-first':
      return { kind: plan.kind, write: Math.min(plan.write, 1 + Math.floor(random() * Math.max(1, missed.writes * share))) };
  }
}

/**
 * The kill of a resume, or none (then it runs to its end). Its delays are scaled to what is left
 * of the run (`lastSeq`: where the journal stands), so that most land before it ends.
 */
function resumePlan(random: () => number, cal: Calibration, lastSeq: number): KillPlan | undefined {
  if (random() >= 0.5) return undefined;
  const left = Math.max(0.15, 1 - lastSeq / cal.events);
  const pick = random();
  if (pick < 0.4) return { kind: 'run', delayMs: Math.floor(random() * cal.runMs * left) };
  if (pick < 0.7) return { kind: 'flush', write: 1 + Math.floor(random() * Math.max(1, cal.writes * left)) };
  return { kind: 'spawn', delayMs: Math.floor(random() * (cal.startupMs + cal.runMs * left)) };
}

/** Checks of this fixture beyond the general invariants. */
function fixtureViolations(journal: string): string[] {
  const events = fs
    .readFileSync(journal, 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as DagEvent);
  const violations: string[] = [];
  const completed = events.filter((e) => e.type === 'task.completed');
  if (completed.length !== TASKS) violations.push(`${completed.length} tasks completed, ${TASKS} expected`);
  const flakyFailed = events.filter((e) => e.type === 'task.failed' && e.taskId === 'flaky');
  if (flakyFailed.length !== 1 || !flakyFailed.every((e) => e.type === 'task.failed' && e.attempt === 1 && e.willRetry))
    violations.push(`flaky should fail once, attempt 1 with willRetry: ${JSON.stringify(flakyFailed)}`);
  const flakyDone = completed.find((e) => e.type === 'task.completed' && e.taskId === 'flaky');
  if (flakyDone?.attempt !== 2) violations.push(`flaky should complete with attempt 2, got ${flakyDone?.attempt}`);
  return violations;
}

let calibration: Calibration;
/** The files of the calibration run, kept for the checks of the checker. */
let whole: { readonly journal: string; readonly markers: string };

beforeAll(async () => {
  await ensureBuilt();
  // whole runs without kills: how long a run takes here (the second, warm: a cold first run is
  // slower, and delays drawn from it would come after more runs had ended), and that each
  // satisfies the invariants
  for (let round = 0; round < 2; round++) {
    const files = runFiles(tempFolder(), `calibrate-${round}`);
    const step = await runChild('start', files, `calibrate-${round}`);
    if (step.end.code !== 0 || step.firstWriteMs === undefined)
      throw new Error(`the fixture does not run:\n${describeStep(step, 0)}\n${step.end.stdout}`);
    const problems = [...crashViolations(files.journal, files.markers, []), ...fixtureViolations(files.journal)];
    if (problems.length > 0) throw new Error(`a run without kills breaks the invariants:\n${problems.join('\n')}`);
    whole = { journal: fs.readFileSync(files.journal, 'utf8'), markers: fs.readFileSync(files.markers, 'utf8') };
    const events = killRecord(files.journal, files.markers).lastSeq;
    calibration = {
      startupMs: step.firstWriteMs,
      runMs: Math.max(20, step.end.ms - step.firstWriteMs),
      writes: Math.max(2, step.writes),
      events,
    };
  }
}, 180_000);

afterEach(async () => {
  const killed = await children.killAll();
  const alive = children.stillAlive();
  children.reset();
  for (const dir of folders.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  if (alive.length > 0) throw new Error(`processes left behind: ${alive.join(', ')}`);
  if (killed.length > 0 && VERBOSE) console.log(`afterEach killed ${killed.join(', ')}`);
});

afterAll(() => {
  if (!VERBOSE) return;
  const counts = Array.from({ length: KILLS }, (_, point) => killsOf[point] ?? 0);
  const perPoint = counts.map((n, point) => `${point}:${n}`).join(' ');
  console.log(
    `seed ${SEED}, calibration ${JSON.stringify(calibration)}, kills:\n${landed.join('\n')}\n` +
      `${counts.reduce((sum, n) => sum + n, 0)} kills landed, in ${counts.filter((n) => n > 0).length} of ${KILLS} kill points (point:kills ${perPoint}); ` +
      `${replanned} fresh starts after a first kill that came too late`,
  );
});

describe(`durable runs killed with SIGKILL (${KILLS} kill points, seed ${SEED})`, () => {
  it.each(Array.from({ length: KILLS }, (_, k) => k))(
    `kill point %i (seed ${SEED})`,
    async (point) => {
      const random = seededRandom((SEED + Math.imul(point + 1, 0x9e3779b9)) >>> 0);
      const runId = `crash-${point}`;
      let files = runFiles(tempFolder(), runId);
      const steps: Step[] = [];
      const kills: KillRecord[] = [];
      const fail = (why: string): never => {
        throw new Error(
          `seed ${SEED}, kill point ${point}: ${why}\n${steps.map(describeStep).join('\n')}\n  journal now: ${journalHead(files.journal)}`,
        );
      };

      let mode: 'start' | 'resume' = 'start';
      let resumeKills = 0;
      /** Fresh starts after a first kill that missed; the first step of the current start; its kill. */
      let replans = 0;
      let since = 0;
      let again: KillPlan | undefined;
      for (;;) {
        if (steps.length - since === MAX_CHILDREN) fail(`no process ended the run in ${MAX_CHILDREN} tries`);
        const plan =
          again ??
          (steps.length === 0
            ? firstPlan(point, random, calibration)
            : resumeKills < MAX_RESUME_KILLS
              ? resumePlan(random, calibration, kills.at(-1)?.lastSeq ?? 0)
              : undefined);
        again = undefined;
        const step = await runChild(mode, files, runId, plan);
        steps.push(step);
        const { end } = step;
        if (end.timedOut) fail(`a ${mode} process ran over ${CHILD_TIMEOUT_MS} ms`);
        if (end.signal === 'SIGKILL' && end.killed) {
          kills.push(killRecord(files.journal, files.markers, end.pid, `kill ${kills.length + 1} (${whereKilled(step)})`));
          landed.push(`  point ${point}: ${whereKilled(step)}`);
          if (mode === 'resume') resumeKills++;
          mode = 'resume';
          continue;
        }
        if (plan !== undefined)
          landed.push(`  point ${point}: ${mode} ${JSON.stringify(plan)} missed: ${describeStep(step, steps.length - 1).trim()}`);
        if (end.code === 0 && kills.length === 0 && replans < MAX_REPLANS) {
          // the run ended before its first kill came: nothing was killed, so the point starts
          // again in a fresh folder (this run is over), its kill drawn within what this run took
          replans++;
          replanned++;
          files = runFiles(tempFolder(), runId);
          again = replan(step, replans, random);
          since = steps.length;
          mode = 'start';
          continue;
        }
        if (end.code === 0) break;
        // killed before its journal existed: nothing to resume, so the run starts afresh
        if (end.code === 3 && mode === 'resume' && !fs.existsSync(files.journal)) {
          mode = 'start';
          continue;
        }
        fail(`a ${mode} process ended with ${end.signal ?? `exit code ${end.code}`}`);
      }

      // a kill point that killed nothing tested no crash
      killsOf[point] = kills.length;
      if (kills.length === 0) fail(`no kill landed: ${replans + 1} runs each ended before their planned kill`);
      const violations = [...crashViolations(files.journal, files.markers, kills), ...fixtureViolations(files.journal)];
      if (fs.existsSync(files.lock)) violations.push('the lock file is still there after the run ended');
      if (violations.length > 0) fail(`${violations.length} violations:\n  ${violations.join('\n  ')}`);
    },
    150_000,
  );
});

describe('the crash invariants', () => {
  /** The calibration run's journal, changed by `edit` (on its events; seqs renumbered), checked. */
  function check(
    edit: (events: DagEvent[]) => DagEvent[],
    kills: (events: DagEvent[]) => KillRecord[] = () => [],
    extraMarkers = '',
  ): string[] {
    const [header, ...lines] = whole.journal.trimEnd().split('\n');
    const events = edit(lines.map((line) => JSON.parse(line) as DagEvent)).map((e, i) => ({ ...e, seq: i + 1 }) as DagEvent);
    const dir = tempFolder();
    const journal = path.join(dir, 'run.jsonl');
    const markers = path.join(dir, 'markers');
    fs.writeFileSync(journal, `${header}\n${events.map((e) => `${JSON.stringify(e)}\n`).join('')}`);
    fs.writeFileSync(markers, whole.markers + extraMarkers);
    return crashViolations(journal, markers, kills(events));
  }
  const isType = (type: DagEvent['type'], taskId?: string) => (e: DagEvent) =>
    e.type === type && (taskId === undefined || ('taskId' in e && e.taskId === taskId));

  it('should hold for a run without kills, and catch what breaks them', () => {
    expect(check((events) => events)).toEqual([]);
    // a second outcome of a task
    expect(check((events) => [...events.slice(0, -1), events.find(isType('task.completed', 'src-1'))!, events.at(-1)!])).toContainEqual(
      expect.stringMatching(/^task src-1 has 2 terminal events/),
    );
    // a run that did not end
    expect(check((events) => events.slice(0, -1))).toContainEqual(
      expect.stringMatching(/^the last event is .* not dag.completed succeeded/),
    );
    // a start before a dependency completed
    expect(
      check((events) => {
        const started = events.findIndex(isType('task.started', 'publish'));
        return [...events.slice(0, 1), events[started]!, ...events.slice(1, started), ...events.slice(started + 1)];
      }),
    ).toContainEqual(expect.stringMatching(/^task.started publish#1 .* before its dependency report-1 completed/));
    // a resume that leaves out an attempt in flight
    expect(
      check((events) => {
        const at = events.findIndex(isType('task.started', 'src-1')) + 1;
        const resumed = {
          type: 'run.resumed',
          runId: events[0]!.runId,
          seq: 0,
          at: events[at]!.at,
          resumedAfterSeq: at,
          interrupted: [],
        } as DagEvent;
        return [...events.slice(0, at), resumed, ...events.slice(at)];
      }),
    ).toContainEqual(expect.stringMatching(/^run.resumed at seq \d+ leaves out src-1, which was in flight/));
  });

  it('should catch a task run again after its completion was journaled before a kill', () => {
    const kills = (events: DagEvent[]): KillRecord[] => {
      const lastSeq = events.find(isType('task.completed', 'join-1'))!.seq;
      return [{ journalBytes: Buffer.byteLength(whole.journal), lastSeq, markersBytes: Buffer.byteLength(whole.markers), pid: 1 }];
    };
    const violations = check((events) => events, kills, 'join-1 1 999999\n');
    expect(violations).toContainEqual(expect.stringMatching(/^kill 1: join-1 ran again \(marker line \d+: attempt 1, pid 999999\)/));
    expect(violations).toContainEqual(expect.stringMatching(/^kill 1: the journal had seq \d+, then comes task\.\S+ .*, not run.resumed/));
    // the killed process's own late markers are not executions after the kill
    expect(check((events) => events, kills, 'join-1 1 1\n').filter((v) => v.includes('ran again'))).toEqual([]);
  });
});

describe('a run owned by a live process', () => {
  it('should refuse a resume from another process, naming the owner, and let the owner finish', async () => {
    const dir = tempFolder();
    const runId = 'owned';
    const files = runFiles(dir, runId);
    const gate = path.join(dir, 'gate'); // the owner's agents wait for it: the run stays owned meanwhile
    const owner = runChild('start', files, runId, undefined, { RXDAG_CRASH_GATE: gate });
    let ownerEnded: Step | undefined;
    void owner.then((step) => (ownerEnded = step));
    while (!fs.existsSync(files.lock) && ownerEnded === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    if (ownerEnded !== undefined) throw new Error(`the owner ended before taking the run:\n${describeStep(ownerEnded, 0)}`);
    const ownerPid = JSON.parse(fs.readFileSync(files.lock, 'utf8')).pid as number;

    const second = await runChild('resume', files, runId);
    expect(second.end).toMatchObject({ code: 2, signal: null, stdout: '' });
    expect(second.end.stderr.trim()).toBe(
      `RunLockedError: run "${runId}" is owned by a live process (${os.hostname()}:${ownerPid}); wait for it to end or stop it first`,
    );

    fs.writeFileSync(gate, '');
    const first = await owner;
    expect(first.end.pid).toBe(ownerPid);
    expect(first.end).toMatchObject({ code: 0, signal: null });
    expect(JSON.parse(first.end.stdout)).toMatchObject({ outcome: 'succeeded', pid: ownerPid });
    expect([...crashViolations(files.journal, files.markers, []), ...fixtureViolations(files.journal)]).toEqual([]);
    // the refused resume changed nothing: it ran no agent and wrote no event
    expect(fs.readFileSync(files.markers, 'utf8')).not.toMatch(new RegExp(` ${second.end.pid}$`, 'm'));
    expect(fs.readFileSync(files.journal, 'utf8')).not.toContain('run.resumed');
    expect(fs.existsSync(files.lock)).toBe(false);
  }, 60_000);
});

/** The journal's size and first bytes, for failure messages. */
function journalHead(file: string): string {
  if (!fs.existsSync(file)) return 'no file';
  const text = fs.readFileSync(file, 'utf8');
  return `${Buffer.byteLength(text)} bytes${text === '' ? '' : `, starting ${JSON.stringify(text.slice(0, 80))}`}`;
}
