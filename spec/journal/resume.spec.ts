import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withWrappedWriters } from '../support/journals';
import { lastValueFrom, of, throwError, toArray } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import {
  AgentError,
  type Agent,
  createScheduler,
  type DagEvent,
  defineDag,
  type DagSpec,
  fileJournal,
  initialRunState,
  isTerminalEvent,
  type Journal,
  JournalWriteError,
  reduceAll,
  resumeRun,
  runDag,
  selectTasks,
} from '../../src';
import { testScheduler } from '../support/virtualTime';

// a -> b -> d, a -> c -> d, e alone; b needs two attempts
const spec: DagSpec = {
  id: 'durable',
  defaults: { agent: 'work' },
  tasks: [
    { id: 'a' },
    { id: 'b', deps: ['a'], retry: { attempts: 2, backoffMs: 40 } },
    { id: 'c', deps: ['a'] },
    { id: 'd', deps: ['b', 'c'] },
    { id: 'e', timeoutMs: 500 },
  ],
};
const dag = defineDag(spec);

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-resume-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Agents that take `durations[id]` virtual ms (default 10) and fail b's first attempt; calls are counted. */
function agentsIn(ts: TestScheduler, calls: string[]): Record<string, Agent> {
  const durations: Record<string, number> = { a: 10, b: 20, c: 30, d: 10, e: 15 };
  return {
    work: ({ id, attempt, idempotencyKey }) => {
      calls.push(`${id}#${attempt} ${idempotencyKey}`);
      const done = ts.createColdObservable(`${'-'.repeat(durations[id] ?? 10)}(x|)`, { x: `${id} done` });
      return id === 'b' && attempt === 1 ? ts.createColdObservable('-----#', undefined, new Error('flaky')) : done;
    },
  };
}

/** Runs `body` in virtual time on a fresh TestScheduler; returns the events it collected. */
function inVirtualTime(body: (ts: TestScheduler, seen: DagEvent[]) => void): DagEvent[] {
  const ts = testScheduler();
  const seen: DagEvent[] = [];
  ts.run(() => body(ts, seen));
  return seen;
}

const quiet = { healthCheckIntervalMs: 0, maxConcurrency: 2 } as const;
const journalFile = (root: string, runId: string) => path.join(root, `${runId}.jsonl`);
const lines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);

/** The journal of run `runId` in `dir` as its process leaves it when it dies at `at`: the events before, and no lock. */
function diedAt(runId: string, at: number): void {
  const [header, ...kept] = lines(journalFile(dir, runId));
  const before = kept.filter((line) => (JSON.parse(line) as DagEvent).at < at);
  fs.writeFileSync(journalFile(dir, runId), [header, ...before].map((line) => `${line}\n`).join(''));
  fs.rmSync(path.join(dir, `${runId}.lock`), { force: true });
}

/** The journal of a whole run of `dag`, written by a real run in virtual time. */
function fullJournal(root: string, runId: string): DagEvent[] {
  const calls: string[] = [];
  const seen = inVirtualTime((ts, out) =>
    runDag(dag, { ...quiet, agents: agentsIn(ts, calls), journal: fileJournal(root), runId, scheduler: ts }).subscribe((e) => out.push(e)),
  );
  expect(seen[seen.length - 1]).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
  return seen;
}

/** A journal of `runId` cut after its first `count` events, as a `kill -9` would leave it. */
function cutJournal(root: string, runId: string, full: readonly DagEvent[], count: number, torn = ''): void {
  const source = lines(journalFile(dir, 'full'));
  const header = { ...JSON.parse(source[0]!), runId };
  fs.mkdirSync(root, { recursive: true });
  const body = full
    .slice(0, count)
    .map((event) => `${JSON.stringify({ ...event, runId })}\n`)
    .join('');
  fs.writeFileSync(journalFile(root, runId), `${JSON.stringify(header)}\n${body}${torn}`);
}

describe('durable runs', () => {
  it('should journal every event it emits, in order, with the DAG and options in the header', () => {
    const seen = fullJournal(dir, 'full');
    const [header, ...events] = lines(journalFile(dir, 'full')).map((line) => JSON.parse(line));
    expect(header).toMatchObject({
      runId: 'full',
      dagId: 'durable',
      options: { failurePolicy: 'skip-dependents', contextInjection: true, maxConcurrency: quiet.maxConcurrency, mode: 'event' },
    });
    expect(header.options).not.toHaveProperty('pollIntervalMs'); // only a polling run has one
    expect(defineDag(header.spec).tasks).toEqual(dag.tasks);
    expect(events).toEqual(seen);
    expect(fs.existsSync(path.join(dir, 'full.lock'))).toBe(false);
  });

  it('should fold a journal into the same state the live run ended in', () => {
    const seen = fullJournal(dir, 'full');
    const replayed = reduceAll(initialRunState(dag, 'full'), seen);
    expect(replayed.status).toBe('succeeded');
    expect(selectTasks(replayed).map((t) => [t.id, t.status, t.attempt, t.output])).toEqual([
      ['a', 'completed', 1, 'a done'],
      ['b', 'completed', 2, 'b done'],
      ['c', 'completed', 1, 'c done'],
      ['d', 'completed', 1, 'd done'],
      ['e', 'completed', 1, 'e done'],
    ]);
  });

  it('should finish a run cut after any event, never running a completed task again', () => {
    const full = fullJournal(dir, 'full');
    for (let cut = 1; cut < full.length - 1; cut++) {
      const runId = `cut-${cut}`;
      cutJournal(dir, runId, full, cut);
      const completedBefore = new Set(full.slice(0, cut).flatMap((e) => (e.type === 'task.completed' ? [e.taskId] : [])));
      const calls: string[] = [];
      const resumed = inVirtualTime((ts, out) =>
        resumeRun(fileJournal(dir), runId, { ...quiet, agents: agentsIn(ts, calls), scheduler: ts }).subscribe((e) => out.push(e)),
      );
      const journal = lines(journalFile(dir, runId))
        .slice(1)
        .map((line) => JSON.parse(line) as DagEvent);
      // the run ends succeeded, continuing the same seq without a gap
      expect(journal.map((e) => e.seq)).toEqual(journal.map((_, k) => k + 1));
      expect(journal[cut]).toMatchObject({ type: 'run.resumed', resumedAfterSeq: cut });
      expect(resumed[resumed.length - 1]).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
      // no completed task ran again; every task has exactly one terminal event
      for (const call of calls) expect(completedBefore.has(call.split('#')[0]!)).toBe(false);
      const terminal = journal.filter(isTerminalEvent).map((e) => ('taskId' in e ? e.taskId : ''));
      expect(terminal.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
      // the idempotency key stays the same across attempts and resumes
      for (const call of calls) {
        const [attemptOf, key] = call.split(' ');
        expect(key).toBe(`${runId}/${attemptOf!.split('#')[0]}`);
      }
      // dependencies complete before their dependents start
      const completedAt = new Map(journal.flatMap((e) => (e.type === 'task.completed' ? [[e.taskId, e.seq] as const] : [])));
      for (const e of journal) {
        if (e.type !== 'task.started') continue;
        for (const dep of dag.tasks[dag.taskIndex(e.taskId)!]!.deps) expect(completedAt.get(dep)!).toBeLessThan(e.seq);
      }
    }
  });

  it('should restart an interrupted attempt under its own number, with its full timeout', () => {
    const full = fullJournal(dir, 'full');
    const cut = full.findIndex((e) => e.type === 'task.started' && e.taskId === 'e') + 1;
    cutJournal(dir, 'timeout', full, cut);
    const started = full[cut - 1]!.at;
    const seen = inVirtualTime((ts, out) => {
      const agents: Record<string, Agent> = { work: ({ id }) => (id === 'e' ? ts.createColdObservable('-') : of(`${id} done`)) };
      ts.schedule(
        () => resumeRun(fileJournal(dir), 'timeout', { ...quiet, agents, scheduler: ts }).subscribe((e) => out.push(e)),
        started + 100,
      );
    });
    expect(seen[0]).toMatchObject({ type: 'run.resumed', interrupted: ['a', 'e'] });
    const timedOut = seen.find((e) => e.type === 'task.timed-out')!;
    expect(timedOut).toMatchObject({ taskId: 'e', attempt: 1, timeoutMs: 500 });
    // a fresh attempt from the resume, not from the attempt the crash cut short
    expect(timedOut.at).toBe(started + 100 + 500);
    expect(seen.find((e) => e.type === 'task.started' && e.taskId === 'e')).toMatchObject({ attempt: 1, at: started + 100 });
  });

  it('should wait only for what is left of a backoff', () => {
    const full = fullJournal(dir, 'full');
    const failedAt = full.findIndex((e) => e.type === 'task.failed' && e.taskId === 'b');
    cutJournal(dir, 'backoff', full, failedAt + 1);
    const failed = full[failedAt]!;
    const seen = inVirtualTime((ts, out) => {
      const agents: Record<string, Agent> = { work: ({ id }) => of(`${id} done`) };
      ts.schedule(
        () => resumeRun(fileJournal(dir), 'backoff', { ...quiet, agents, scheduler: ts }).subscribe((e) => out.push(e)),
        failed.at + 15,
      );
    });
    // backoffMs 40 after the failed attempt 1: due at failed.at + 40, 25 ms after the resume
    expect(seen.find((e) => e.type === 'task.retrying')).toMatchObject({ taskId: 'b', attempt: 2, at: failed.at + 40 });
    expect(seen[seen.length - 1]).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
  });

  it('should wait no longer than the whole backoff when the failure is later than the resume, by a clock ahead', () => {
    const full = fullJournal(dir, 'full');
    const failedAt = full.findIndex((e) => e.type === 'task.failed' && e.taskId === 'b');
    // recorded by a machine whose clock is 10 minutes ahead of the one that resumes the run
    cutJournal(
      dir,
      'ahead',
      full.map((event) => ({ ...event, at: event.at + 600_000 })),
      failedAt + 1,
    );
    const failed = full[failedAt]!;
    const seen = inVirtualTime((ts, out) => {
      const agents: Record<string, Agent> = { work: ({ id }) => of(`${id} done`) };
      ts.schedule(
        () => resumeRun(fileJournal(dir), 'ahead', { ...quiet, agents, scheduler: ts }).subscribe((e) => out.push(e)),
        failed.at + 15,
      );
    });
    // the whole backoff (40 ms) from the resume, not the 10 minutes and 25 ms the times say
    expect(seen.find((e) => e.type === 'task.retrying')).toMatchObject({ taskId: 'b', attempt: 2, at: failed.at + 15 + 40 });
    expect(seen[seen.length - 1]).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
  });

  it('should wait only for what is left of the wait the failed attempt asked for', () => {
    const full = fullJournal(dir, 'full');
    const failedAt = full.findIndex((e) => e.type === 'task.failed' && e.taskId === 'b');
    // as if b's agent had thrown AgentError('429', { retryAfterMs: 90 }) instead of the plain error
    const asked = full.map((event, i) => (i === failedAt ? { ...event, retryAfterMs: 90 } : event));
    cutJournal(dir, 'asked', asked, failedAt + 1);
    const failed = full[failedAt]!;
    const seen = inVirtualTime((ts, out) => {
      const agents: Record<string, Agent> = { work: ({ id }) => of(`${id} done`) };
      ts.schedule(
        () => resumeRun(fileJournal(dir), 'asked', { ...quiet, agents, scheduler: ts }).subscribe((e) => out.push(e)),
        failed.at + 15,
      );
    });
    // 90 ms after the failed attempt (not the policy's 40): 75 ms after the resume
    expect(seen.find((e) => e.type === 'task.retrying')).toMatchObject({ taskId: 'b', attempt: 2, at: failed.at + 90 });
    expect(seen[seen.length - 1]).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
  });

  /** A planner that spawns its work, and a task after it: the DAG of the spawn specs. */
  const planThenEnd = (id: string) =>
    defineDag({
      id,
      tasks: [
        { id: 'plan', agent: 'plan' },
        { id: 'end', agent: 'work', deps: ['plan'] },
      ],
    });

  it('should bring spawned tasks back on resume', () => {
    const spawning = planThenEnd('spawning');
    const ran: string[] = [];
    const agents: Record<string, Agent> = {
      plan: (ctx) => {
        ctx.spawn([
          { id: 'child-1', agent: 'work' },
          { id: 'child-2', agent: 'work' },
        ]);
        return 'planned';
      },
      work: ({ id }) => {
        ran.push(id);
        return id === 'child-2' && ran.filter((r) => r === 'child-2').length === 1 ? new Promise(() => undefined) : `${id} ok`;
      },
    };
    const first = inVirtualTime((ts, out) =>
      runDag(spawning, { ...quiet, agents, journal: fileJournal(dir), runId: 'spawn', scheduler: ts }).subscribe((e) => out.push(e)),
    );
    expect(first.some((e) => e.type === 'tasks.spawned')).toBe(true);
    expect(first.some((e) => e.type === 'dag.completed')).toBe(false); // child-2 never settles: as if killed
    fs.rmSync(path.join(dir, 'spawn.lock')); // its owner is gone
    const resumed = inVirtualTime((ts, out) =>
      resumeRun(fileJournal(dir), 'spawn', { ...quiet, agents, scheduler: ts }).subscribe((e) => out.push(e)),
    );
    // the DAG and its tasks now, spawned ones included: what a process that sees only the resumed run needs
    expect(resumed[0]).toMatchObject({ type: 'run.resumed', interrupted: ['child-2'], dagId: spawning.id, taskCount: 4 });
    expect(resumed[resumed.length - 1]).toMatchObject({ type: 'dag.completed', outcome: 'succeeded', counts: { total: 4, completed: 4 } });
    expect(ran).toEqual(['child-1', 'child-2', 'child-2', 'end']);
  });

  it('should take a restarted spawner’s same spawn as the one the journal kept when its completion was torn off', () => {
    const spawning = planThenEnd('torn-spawn');
    const ran: string[] = [];
    const agents: Record<string, Agent> = {
      plan: (ctx) => {
        ran.push(`plan#${ctx.attempt}`);
        ctx.spawn([
          { id: 'child-1', agent: 'work' },
          { id: 'child-2', agent: 'work', deps: ['child-1'] },
        ]);
        return 'planned';
      },
      work: ({ id }) => (ran.push(id), `${id} ok`),
    };
    const full = inVirtualTime((ts, out) =>
      runDag(spawning, { ...quiet, agents, journal: fileJournal(dir), runId: 'torn-full', scheduler: ts }).subscribe((e) => out.push(e)),
    );
    // the journal as a torn group leaves it: plan's tasks.spawned kept, its task.completed and what followed lost
    const cut = full.findIndex((e) => e.type === 'tasks.spawned') + 1;
    expect(full[cut]).toMatchObject({ type: 'task.completed', taskId: 'plan' });
    const [header] = lines(journalFile(dir, 'torn-full'));
    const kept = full.slice(0, cut).map((event) => `${JSON.stringify({ ...event, runId: 'torn' })}\n`);
    fs.writeFileSync(journalFile(dir, 'torn'), `${JSON.stringify({ ...JSON.parse(header!), runId: 'torn' })}\n${kept.join('')}`);
    ran.length = 0;
    const resumed = inVirtualTime((ts, out) =>
      resumeRun(fileJournal(dir), 'torn', { ...quiet, agents, scheduler: ts }).subscribe((e) => out.push(e)),
    );
    expect(resumed[0]).toMatchObject({ type: 'run.resumed', interrupted: ['plan'], taskCount: 4 });
    expect(resumed.some((e) => e.type === 'tasks.spawned')).toBe(false);
    expect(resumed[resumed.length - 1]).toMatchObject({ type: 'dag.completed', outcome: 'succeeded', counts: { total: 4, completed: 4 } });
    expect(ran).toEqual(['plan#1', 'child-1', 'child-2', 'end']);
    // the whole record folds as the live run went
    const journal = lines(journalFile(dir, 'torn'))
      .slice(1)
      .map((line) => JSON.parse(line) as DagEvent);
    expect(journal.map((e) => e.seq)).toEqual(journal.map((_, k) => k + 1));
    expect(
      journal
        .filter(isTerminalEvent)
        .map((e) => ('taskId' in e ? e.taskId : ''))
        .sort(),
    ).toEqual(['child-1', 'child-2', 'end', 'plan']);
  });

  it('should keep the tasks the journal kept when the restarted spawner spawns their ids otherwise (a planner that plans anew)', () => {
    const spawning = planThenEnd('torn-replan');
    let plans = 0;
    const inputs: Record<string, unknown> = {};
    const agents: Record<string, Agent> = {
      plan: (ctx) => {
        plans++;
        // as an LLM plans: each call asks other questions, and may add a task
        const asked = [
          { id: 'child-1', agent: 'work', input: `question ${plans}` },
          { id: 'child-2', agent: 'work', deps: ['child-1'], input: `question ${plans}` },
        ];
        ctx.spawn(plans === 1 ? asked : [...asked, { id: 'child-3', agent: 'work' }]);
        return 'planned';
      },
      work: ({ id, input }) => ((inputs[id] = input), `${id} ok`),
    };
    const full = inVirtualTime((ts, out) =>
      runDag(spawning, { ...quiet, agents, journal: fileJournal(dir), runId: 'replan-full', scheduler: ts }).subscribe((e) => out.push(e)),
    );
    const cut = full.findIndex((e) => e.type === 'tasks.spawned') + 1;
    const [header] = lines(journalFile(dir, 'replan-full'));
    const kept = full.slice(0, cut).map((event) => `${JSON.stringify({ ...event, runId: 'replan' })}\n`);
    fs.writeFileSync(journalFile(dir, 'replan'), `${JSON.stringify({ ...JSON.parse(header!), runId: 'replan' })}\n${kept.join('')}`);
    for (const id of Object.keys(inputs)) delete inputs[id];
    const resumed = inVirtualTime((ts, out) =>
      resumeRun(fileJournal(dir), 'replan', { ...quiet, agents, scheduler: ts }).subscribe((e) => out.push(e)),
    );
    expect(resumed.filter((e) => e.type === 'task.failed')).toEqual([]);
    // the tasks the journal kept, as it kept them (they may have run before the crash); the new one added
    expect(resumed.filter((e) => e.type === 'tasks.spawned').map((e) => e.type === 'tasks.spawned' && e.tasks.map((t) => t.id))).toEqual([
      ['child-3'],
    ]);
    expect(inputs).toEqual({ 'child-1': 'question 1', 'child-2': 'question 1', 'child-3': undefined });
    expect(resumed[resumed.length - 1]).toMatchObject({ type: 'dag.completed', outcome: 'succeeded', counts: { total: 5, completed: 5 } });
  });

  it('should name the problems of a re-spawn at the places the restarted spawner gave them, the kept tasks counted', () => {
    const spawning = planThenEnd('torn-bad');
    let plans = 0;
    const agents: Record<string, Agent> = {
      plan: (ctx) => {
        plans++;
        const kept = [
          { id: 'child-1', agent: 'work' },
          { id: 'child-2', agent: 'work' },
        ];
        // again, but for child-2: a new task on a kept one (child-2, not given again), a new id given twice, a kept id given twice, and no task
        const again = [
          kept[0]!,
          { id: 'child-3', agent: 'work', deps: ['nowhere', 'child-2'] },
          { id: 'child-4', agent: 'work' },
          { id: 'child-4', agent: 'work' },
          kept[0]!,
          null as unknown as (typeof kept)[number], // no task at all
        ];
        ctx.spawn(plans === 1 ? kept : again);
        return 'planned';
      },
      work: ({ id }) => `${id} ok`,
    };
    const full = inVirtualTime((ts, out) =>
      runDag(spawning, { ...quiet, agents, journal: fileJournal(dir), runId: 'bad-full', scheduler: ts }).subscribe((e) => out.push(e)),
    );
    const cut = full.findIndex((e) => e.type === 'tasks.spawned') + 1;
    const [header] = lines(journalFile(dir, 'bad-full'));
    const kept = full.slice(0, cut).map((event) => `${JSON.stringify({ ...event, runId: 'bad' })}\n`);
    fs.writeFileSync(journalFile(dir, 'bad'), `${JSON.stringify({ ...JSON.parse(header!), runId: 'bad' })}\n${kept.join('')}`);
    const resumed = inVirtualTime((ts, out) =>
      resumeRun(fileJournal(dir), 'bad', { ...quiet, agents, scheduler: ts }).subscribe((e) => out.push(e)),
    );
    const failed = resumed.filter((e) => e.type === 'task.failed');
    expect(failed.map((e) => e.type === 'task.failed' && [e.taskId, e.error.message.split('\n').slice(1)])).toEqual([
      [
        'plan',
        [
          '  spawn[1].deps[0]: spawned task "child-3" depends on "nowhere", which is not a task of this run',
          '  spawn[1].deps[1]: spawned task "child-3" depends on "child-2", which this task spawned before the run was resumed (its journal kept it) and has not completed: a task new in a spawn given again after a resume may depend only on completed tasks and on the other new ones',
          '  spawn[3].id: task id "child-4" is given twice among the tasks this attempt spawns (also spawn[2])',
          '  spawn[4].id: task id "child-1" is already used in this run',
          '  spawn[5]: expected a task: an object with an `id` (and `agent`, `deps`, `input`…) (got null)',
        ],
      ],
    ]);
  });

  it('should take the same spawn from the next attempt when the restarted spawner fails after its completion was torn off', () => {
    const spawning = defineDag({
      id: 'torn-retry',
      tasks: [
        { id: 'plan', agent: 'plan', retry: { attempts: 2, backoffMs: 0 } },
        { id: 'end', agent: 'work', deps: ['plan'] },
      ],
    });
    let resuming = false;
    const ran: string[] = [];
    const agents: Record<string, Agent> = {
      plan: (ctx) => {
        ran.push(`plan#${ctx.attempt}`);
        ctx.spawn([{ id: 'child-1', agent: 'work' }]);
        if (resuming && ctx.attempt === 1) throw new Error('flaky planner');
        return 'planned';
      },
      work: ({ id }) => (ran.push(id), `${id} ok`),
    };
    const full = inVirtualTime((ts, out) =>
      runDag(spawning, { ...quiet, agents, journal: fileJournal(dir), runId: 'torn-retry-full', scheduler: ts }).subscribe((e) =>
        out.push(e),
      ),
    );
    const cut = full.findIndex((e) => e.type === 'tasks.spawned') + 1;
    const [header] = lines(journalFile(dir, 'torn-retry-full'));
    const kept = full.slice(0, cut).map((event) => `${JSON.stringify({ ...event, runId: 'torn-retry' })}\n`);
    fs.writeFileSync(
      journalFile(dir, 'torn-retry'),
      `${JSON.stringify({ ...JSON.parse(header!), runId: 'torn-retry' })}\n${kept.join('')}`,
    );
    ran.length = 0;
    resuming = true;
    const resumed = inVirtualTime((ts, out) =>
      resumeRun(fileJournal(dir), 'torn-retry', { ...quiet, agents, scheduler: ts }).subscribe((e) => out.push(e)),
    );
    // attempt 2 spawns what the journal already has: the same task, not a second one of its id
    expect(resumed.filter((e) => e.type === 'task.failed').map((e) => e.type === 'task.failed' && e.error.message)).toEqual([
      'flaky planner',
    ]);
    expect(resumed[resumed.length - 1]).toMatchObject({ type: 'dag.completed', outcome: 'succeeded', counts: { total: 3, completed: 3 } });
    expect(ran).toEqual(['plan#1', 'plan#2', 'child-1', 'end']);
    // the same, the process dying again while the retry waited: the next resume still takes the spawn as the one it has
    const failedAt = resumed.findIndex((e) => e.type === 'task.failed');
    const journaled = lines(journalFile(dir, 'torn-retry'));
    const keptAgain = journaled
      .slice(0, 1 + cut + failedAt + 1)
      .map((line) => line.replaceAll('"runId":"torn-retry"', '"runId":"torn-retry-2"'));
    fs.writeFileSync(journalFile(dir, 'torn-retry-2'), `${keptAgain.join('\n')}\n`);
    ran.length = 0;
    const again = inVirtualTime((ts, out) =>
      resumeRun(fileJournal(dir), 'torn-retry-2', { ...quiet, agents, scheduler: ts }).subscribe((e) => out.push(e)),
    );
    expect(again[again.length - 1]).toMatchObject({ type: 'dag.completed', outcome: 'succeeded', counts: { total: 3, completed: 3 } });
    expect(ran).toEqual(['plan#2', 'child-1', 'end']);
  });

  it('should stop a run whose journal cannot be written, aborting its agents', async () => {
    const failing: Journal = {
      ...fileJournal(dir),
      create: (header) => {
        const writer = fileJournal(dir).create(header) as ReturnType<Journal['create']> & { append: (events: readonly DagEvent[]) => void };
        let groups = 0;
        return {
          append: (events: readonly DagEvent[]) => {
            if (++groups === 3) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
            writer.append(events);
          },
          close: () => (writer as { close(): void }).close(),
        };
      },
    };
    let aborted = false;
    const agents: Record<string, Agent> = {
      work: ({ signal }) =>
        new Promise((_, reject) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(signal.reason);
          });
        }),
    };
    const error = await new Promise<unknown>((resolve) =>
      runDag(dag, { ...quiet, agents, journal: failing, runId: 'nospace' }).subscribe({
        error: resolve,
        complete: () => resolve(undefined),
      }),
    );
    expect(error).toBeInstanceOf(JournalWriteError);
    expect((error as Error).message).toMatch(/cannot write the journal of run "nospace" at .*: no space left on device; run stopped/);
    expect(aborted).toBe(true);
    expect(fs.existsSync(path.join(dir, 'nospace.lock'))).toBe(false);
  });

  it('should end with a JournalWriteError, after dag.completed, a run whose last groups the store never took', async () => {
    const dag = defineDag({
      id: 'wide',
      tasks: [
        { id: 'a', agent: 'work' },
        { id: 'b', agent: 'work' },
      ],
    });
    // an asynchronous backend that takes the first groups, then fails every later one (its server stopped answering)
    const failing = withWrappedWriters(fileJournal(dir), (writer) => {
      let groups = 0;
      return {
        append: async (events, durable) => {
          if (++groups > 1) throw new Error('no answer from the server within 30000 ms');
          await writer.append(events, durable);
        },
        close: () => writer.close(),
      };
    });
    const events: DagEvent[] = [];
    const error = await new Promise<unknown>((resolve) =>
      runDag(dag, { ...quiet, agents: { work: () => 'ok' }, journal: failing, runId: 'unanswered' }).subscribe({
        next: (event) => events.push(event),
        error: resolve,
        complete: () => resolve(undefined),
      }),
    );
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    expect(error).toBeInstanceOf(JournalWriteError);
    expect((error as Error).message).toMatch(
      /cannot write the journal of run "unanswered" at .*: no answer from the server within 30000 ms; run stopped/,
    );
    // the store holds the run as it took it: not ended, so resumable
    expect((await fileJournal(dir).runs()).find((run) => run.runId === 'unanswered')).toMatchObject({ status: 'interrupted' });
  });

  it('should fail an agent-less resume clearly, running nothing and changing nothing', () => {
    const full = fullJournal(dir, 'full');
    cutJournal(dir, 'agentless', full, 4);
    const before = fs.readFileSync(journalFile(dir, 'agentless'));
    let error: unknown;
    inVirtualTime((ts) =>
      resumeRun(fileJournal(dir), 'agentless', { ...quiet, agents: { other: () => 1 }, scheduler: ts }).subscribe({
        error: (e) => (error = e),
      }),
    );
    expect((error as Error).message).toMatch(/unknown agent "work"/);
    expect(fs.readFileSync(journalFile(dir, 'agentless'))).toEqual(before);
    expect(fs.existsSync(path.join(dir, 'agentless.lock'))).toBe(false);
  });

  it('should refuse at the call a run id that is not a string, and a journal or run id given in the options', () => {
    const journal = fileJournal(dir);
    expect(() => resumeRun(journal, 5 as unknown as string)).toThrow(
      new TypeError('rxdag: resumeRun needs the id of a run, a non-empty string (got 5)'),
    );
    const misplaced = { journal, agents: {} } as unknown as Parameters<typeof resumeRun>[2];
    expect(() => resumeRun(journal, 'r', misplaced)).toThrow(
      new TypeError('rxdag: resumeRun takes the journal and the run id as its first two arguments, not `journal` in its options'),
    );
    // one given as undefined (a spread of options that had it) is no option: the resume goes on, to its own refusal
    const spread = { journal: undefined, runId: undefined, agents: {} } as unknown as Parameters<typeof resumeRun>[2];
    expect(() => resumeRun(journal, 'r', spread)).not.toThrow();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('should resume with less concurrency than a task that has ended weighs, and refuse less than a task still to run weighs', () => {
    // big (weight 3) completes; then the process dies while small runs; after (weight 2) is still to run
    const weighted = defineDag({
      id: 'weighted',
      defaults: { agent: 'work' },
      tasks: [
        { id: 'big', weight: 3 },
        { id: 'small', deps: ['big'] },
        { id: 'after', deps: ['small'], weight: 2 },
      ],
    });
    inVirtualTime((ts) =>
      runDag(weighted, {
        ...quiet,
        maxConcurrency: 3,
        agents: { work: ({ id }) => (id === 'small' ? ts.createColdObservable('-') : of(id)) },
        journal: fileJournal(dir),
        runId: 'weighted',
        scheduler: ts,
      }).subscribe(),
    );
    fs.rmSync(path.join(dir, 'weighted.lock'), { force: true });
    const resumed = (maxConcurrency: number) => {
      let error: unknown;
      const seen = inVirtualTime((ts, out) =>
        resumeRun(fileJournal(dir), 'weighted', {
          ...quiet,
          maxConcurrency,
          agents: { work: ({ id }) => of(id) },
          scheduler: ts,
        }).subscribe({
          next: (e) => out.push(e),
          error: (e) => (error = e),
        }),
      );
      return { seen, error };
    };
    const before = fs.readFileSync(journalFile(dir, 'weighted'));
    const refused = resumed(1);
    expect((refused.error as Error).message).toMatch(/task "after" weighs 2, more than `maxConcurrency` 1: it could never start/);
    expect((refused.error as Error).message).not.toMatch(/"big"/);
    expect(fs.readFileSync(journalFile(dir, 'weighted'))).toEqual(before);
    const { seen, error } = resumed(2);
    expect(error).toBeUndefined();
    expect(seen.filter((e) => e.type === 'task.started').map((e) => 'taskId' in e && e.taskId)).toEqual(['small', 'after']);
    expect(seen.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
  });

  it('should not retry a rejected journal write forever: an errored agent still fails its task', () => {
    const seen = inVirtualTime((ts, out) =>
      runDag(defineDag({ id: 'bad', tasks: [{ id: 'x', agent: 'boom' }] }), {
        ...quiet,
        agents: { boom: () => throwError(() => new Error('nope')) },
        journal: fileJournal(dir),
        runId: 'bad',
        scheduler: ts,
      }).subscribe((e) => out.push(e)),
    );
    expect(seen[seen.length - 1]).toMatchObject({ type: 'dag.completed', outcome: 'failed' });
    expect(lines(journalFile(dir, 'bad'))).toHaveLength(seen.length + 1);
  });
});

describe('limits across a resume', () => {
  it.each([
    ['names (a unit each)', ['a', 'b', 'c'].map((id) => ({ id, agent: 'work', limits: ['api'] })), 2],
    // a and b take 900 of 1000: a window that forgot their units would let a start again at once
    [
      'units per limit',
      [
        { id: 'a', agent: 'work', limits: { api: 600 } },
        { id: 'b', agent: 'work', limits: { api: 300 } },
        { id: 'c', agent: 'work', limits: { api: 300 } },
      ],
      1000,
    ],
  ])('should keep a rate window going across a crash, and the run its journaled limits, with %s', (_form, tasks, rateLimit) => {
    const limited = defineDag({ id: 'limited', tasks });
    const limits = { api: { rate: { limit: rateLimit, intervalMs: 100 } } };
    const first = inVirtualTime((ts, out) =>
      runDag(limited, {
        ...quiet,
        maxConcurrency: 5,
        limits,
        agents: { work: () => ts.createColdObservable('-') },
        journal: fileJournal(dir),
        runId: 'rate',
        scheduler: ts,
      }).subscribe((e) => out.push(e)),
    );
    expect(first.filter((e) => e.type === 'task.started').map((e) => e.at)).toEqual([0, 0, 100]); // c waited for the next window
    // the process dies at 50: its journal holds what happened before
    diedAt('rate', 50);
    const resumed = inVirtualTime((ts, out) => {
      const agents: Record<string, Agent> = { work: () => of('ok') };
      // no limits given: the run keeps those its journal holds
      ts.schedule(
        () => resumeRun(fileJournal(dir), 'rate', { ...quiet, maxConcurrency: 5, agents, scheduler: ts }).subscribe((e) => out.push(e)),
        30,
      );
    });
    // a and b were in flight: they run again, but their starts at 0 still fill the window
    // (−70, 30], so they wait until 100; c, for the next window
    const starts = resumed.filter((e) => e.type === 'task.started').map((e) => ['taskId' in e ? e.taskId : '', e.at]);
    expect(starts).toEqual([
      ['a', 100],
      ['b', 100],
      ['c', 200],
    ]);
    expect(resumed.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
  });

  it("should reopen a rate window for a run resumed after a live run's start, its journaled starts older", () => {
    const limits = { api: { rate: { limit: 3, intervalMs: 1000 } } };
    const b = defineDag({
      id: 'b',
      tasks: [
        { id: 'b1', agent: 'work', limits: { api: 2 } },
        { id: 'b2', deps: ['b1'], agent: 'work', limits: { api: 2 } },
      ],
    });
    // b1 takes 2 units at 0 and completes at 10; b2 waits for the window; the process dies at 500
    inVirtualTime((ts, out) =>
      runDag(b, {
        ...quiet,
        limits,
        agents: { work: () => ts.createColdObservable('----------(x|)') },
        journal: fileJournal(dir),
        runId: 'B',
        scheduler: ts,
      }).subscribe((e) => out.push(e)),
    );
    diedAt('B', 500);
    const seen = inVirtualTime((ts, out) => {
      const scheduler = createScheduler({ ...quiet, limits, journal: fileJournal(dir), scheduler: ts, agents: { work: () => of('ok') } });
      // a live run takes a unit at 600, then B is resumed: its start at 0 is older
      ts.schedule(
        () =>
          scheduler
            .submit({ id: 'a', tasks: [{ id: 'a1', agent: 'work', limits: ['api'] }] }, { runId: 'A' })
            .subscribe((e) => out.push(e)),
        600,
      );
      ts.schedule(() => scheduler.resume('B').subscribe((e) => out.push(e)), 650);
    });
    const starts = seen.filter((e) => e.type === 'task.started').map((e) => `${e.at} ${e.runId}:${'taskId' in e ? e.taskId : ''}`);
    // the window (0, 1000] holds A's unit alone: b2's 2 units fit at 1000
    expect(starts).toEqual(['600 A:a1', '1000 B:b2']);
    expect(seen.filter((e) => e.type === 'dag.completed').map((e) => e.runId)).toEqual(['A', 'B']);
  });

  it.each([
    ['with a retry', 2, ['1010 t1', '1010 t2']], // the resumed agents end at once
    ['without one (its last attempt)', 1, ['1010 t2']],
  ])('should hold a pause of its limits that a failure asked for, %s, across a crash', (_, attempts, startsAfter) => {
    const limits = { api: { concurrency: 1 } };
    const paused = defineDag({
      id: 'paused',
      tasks: [
        { id: 't1', agent: 'work', limits: ['api'], retry: { attempts, backoffMs: 1 } },
        { id: 't2', agent: 'work', limits: ['api'] },
      ],
    });
    const refused = new AgentError('429', { retryAfterMs: 1000, pauseLimits: true });
    const first = inVirtualTime((ts, out) =>
      runDag(paused, {
        ...quiet,
        limits,
        journal: fileJournal(dir),
        runId: 'P',
        scheduler: ts,
        agents: {
          work: ({ id, attempt }) =>
            id === 't1' && attempt === 1 ? ts.createColdObservable('----------#', undefined, refused) : ts.createColdObservable('-(x|)'),
        },
      }).subscribe((e) => out.push(e)),
    );
    expect(first.find((e) => e.type === 'task.failed')).toMatchObject({ at: 10, pausedLimitsMs: 1000 });
    // the process dies at 500, inside the pause (until 1010); resumed at 600
    diedAt('P', 500);
    const resumed = inVirtualTime((ts, out) =>
      ts.schedule(
        () => resumeRun(fileJournal(dir), 'P', { ...quiet, scheduler: ts, agents: { work: () => of('ok') } }).subscribe((e) => out.push(e)),
        600,
      ),
    );
    const starts = resumed.filter((e) => e.type === 'task.started').map((e) => `${e.at} ${'taskId' in e ? e.taskId : ''}`);
    expect(starts).toEqual(startsAfter);
  });

  it('should count a journaled start by a clock ahead of the resuming one as made at the resume, not keep the window shut', () => {
    const tasks = ['a', 'b', 'c'].map((id) => ({ id, agent: 'work', limits: ['api'] }));
    const limits = { api: { rate: { limit: 2, intervalMs: 100 } } };
    inVirtualTime((ts, out) =>
      runDag(defineDag({ id: 'limited', tasks }), {
        ...quiet,
        maxConcurrency: 5,
        limits,
        agents: { work: () => ts.createColdObservable('-') },
        journal: fileJournal(dir),
        runId: 'ahead',
        scheduler: ts,
      }).subscribe((e) => out.push(e)),
    );
    // the process dies at 50; its clock was 10 minutes ahead of the one that resumes the run
    const [header, ...kept] = lines(journalFile(dir, 'ahead'));
    const early = kept.map((line) => JSON.parse(line) as DagEvent).filter((event) => event.at < 50);
    fs.writeFileSync(
      journalFile(dir, 'ahead'),
      [header, ...early.map((event) => JSON.stringify({ ...event, at: event.at + 600_000 }))].map((l) => `${l}\n`).join(''),
    );
    fs.rmSync(path.join(dir, 'ahead.lock'), { force: true });
    const resumed = inVirtualTime((ts, out) => {
      const agents: Record<string, Agent> = { work: () => of('ok') };
      ts.schedule(
        () => resumeRun(fileJournal(dir), 'ahead', { ...quiet, maxConcurrency: 5, agents, scheduler: ts }).subscribe((e) => out.push(e)),
        30,
      );
    });
    // a's and b's starts count as made at 30: the window lets them again at 130, c at 230
    const starts = resumed.filter((e) => e.type === 'task.started').map((e) => ['taskId' in e ? e.taskId : '', e.at]);
    expect(starts).toEqual([
      ['a', 130],
      ['b', 130],
      ['c', 230],
    ]);
  });
});

describe('resuming runs whose journals hold a limit of one name with different specs, on one scheduler', () => {
  /** Leaves run `runId` of one task on limit `api` interrupted, its journal holding `api` as `spec`. */
  async function interrupted(runId: string, spec: { concurrency: number }, weight: number): Promise<void> {
    let called: () => void = () => undefined;
    const agentCalled = new Promise<void>((resolve) => (called = resolve));
    const scheduler = createScheduler({
      journal: fileJournal(dir),
      limits: { api: spec },
      healthCheckIntervalMs: 0,
      agents: { work: () => (called(), new Promise(() => undefined)) },
    });
    const ended = lastValueFrom(
      scheduler.submit({ id: runId, tasks: [{ id: 'a', agent: 'work', limits: ['api'], weight }] }, { runId }),
    ).catch(() => undefined);
    await agentCalled;
    await scheduler.shutdown({ interrupt: true });
    await ended;
  }

  it("should refuse a spawn naming a limit that only another run's journal brought, as a run naming it is refused", async () => {
    await interrupted('brought', { concurrency: 1 }, 1);
    let release: () => void = () => undefined;
    const held = new Promise<string>((resolve) => (release = () => resolve('ok')));
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (started = resolve));
    const agents = {
      work: ({ runId }: { runId: string }) => (runId === 'brought' ? (started(), held) : 'ok'),
      plan: ({ spawn }: { spawn: (tasks: { id: string; agent: string; limits: string[] }[]) => void }) => {
        spawn([{ id: 'child', agent: 'work', limits: ['api'] }]);
        return 'planned';
      },
    };
    const undeclared = createScheduler({ journal: fileJournal(dir), agents, healthCheckIntervalMs: 0 });
    const brought = lastValueFrom(undeclared.resume('brought')); // installs `api` while it runs
    await running;
    const planned = await lastValueFrom(
      undeclared.submit({ id: 'planner', tasks: [{ id: 'plan', agent: 'plan' }] }, { runId: 'planner' }).pipe(toArray()),
    );
    const failed = planned.find((event) => event.type === 'task.failed');
    expect(failed?.type === 'task.failed' && failed.error.message).toMatch(
      /spawn\[0\]\.limits\[0\]: task "child" needs limit "api", which is not declared; known limits: none/,
    );
    expect(planned.some((event) => event.type === 'tasks.spawned')).toBe(false);
    release();
    await expect(brought).resolves.toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    await undeclared.shutdown();
  });

  it('should refuse a spawn of a resumed run naming a limit its scheduler declares and its journal lacks: a later resume would not know it', async () => {
    await interrupted('lacks', { concurrency: 1 }, 1);
    const agents = {
      work: ({ spawn }: { spawn: (tasks: { id: string; agent: string; limits: string[] }[]) => void }) => {
        spawn([{ id: 'child', agent: 'other', limits: ['extra'] }]);
        return 'planned';
      },
      other: () => 'ok',
    };
    const declaring = createScheduler({
      journal: fileJournal(dir),
      agents,
      limits: { extra: { concurrency: 1 } },
      healthCheckIntervalMs: 0,
    });
    const events = await lastValueFrom(declaring.resume('lacks').pipe(toArray()));
    const failed = events.find((event) => event.type === 'task.failed');
    expect(failed?.type === 'task.failed' && failed.error.message).toMatch(
      /spawn\[0\]\.limits\[0\]: task "child" needs limit "extra", which this resumed run's journal does not hold; known limits: "api"/,
    );
    await declaring.shutdown();
  });

  it('should refuse the second run while the first goes on, naming both specs, and take its own spec once the first ended; a limit the scheduler declares goes for both', async () => {
    await interrupted('one', { concurrency: 1 }, 1);
    await interrupted('three', { concurrency: 3 }, 3);
    let release: () => void = () => undefined;
    const held = new Promise<string>((resolve) => (release = () => resolve('ok')));
    const agents = { work: ({ runId }: { runId: string }) => (runId === 'one' ? held : 'ok') };
    const undeclared = createScheduler({ journal: fileJournal(dir), agents, healthCheckIntervalMs: 0 });
    const one = lastValueFrom(undeclared.resume('one'));
    await new Promise((resolve) => setTimeout(resolve, 50)); // `one` has its task running under `api`
    await expect(lastValueFrom(undeclared.resume('three'))).rejects.toThrow(
      new TypeError(
        'rxdag: resume of run "three": its journal holds limit "api" as 3 at once, and this scheduler has it as 1 at once, from a run going on; ' +
          "declare `limits.api` in the scheduler's options to choose it for every run",
      ),
    );
    release();
    await expect(one).resolves.toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    // no run uses `api` now: `three` goes on under its own (its task weighs 3)
    await expect(lastValueFrom(undeclared.resume('three'))).resolves.toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    await undeclared.shutdown();
  });

  it('should refuse a resume that would change the failure policy the run began with, and take one that repeats it', async () => {
    await interrupted('policy', { concurrency: 1 }, 1);
    const agents = { work: () => 'ok' };
    await expect(lastValueFrom(resumeRun(fileJournal(dir), 'policy', { agents, failurePolicy: 'continue' }))).rejects.toThrow(
      new TypeError(
        "rxdag: resume of run \"policy\": it runs with failurePolicy 'skip-dependents', and a resume cannot change it (got 'continue')",
      ),
    );
    await expect(
      lastValueFrom(
        resumeRun(fileJournal(dir), 'policy', { agents, failurePolicy: 'skip-dependents', limits: { api: { concurrency: 1 } } }),
      ),
    ).resolves.toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
  });

  it('should resume a run under the limit the scheduler declares, whatever its journal holds', async () => {
    await interrupted('declared', { concurrency: 1 }, 1);
    const declared = createScheduler({
      journal: fileJournal(dir),
      agents: { work: () => 'ok' },
      limits: { api: { concurrency: 3 } },
      healthCheckIntervalMs: 0,
    });
    await expect(lastValueFrom(declared.resume('declared'))).resolves.toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    await declared.shutdown();
  });
});
