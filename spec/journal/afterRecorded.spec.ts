import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import {
  AgentError,
  afterRecorded,
  type Agent,
  createScheduler,
  type DagEvent,
  fileJournal,
  type Journal,
  type JournalWriter,
  runDag,
  type TaskContext,
} from '../../src';
import { withWrappedWriters } from '../support/journals';

/**
 * `afterRecorded`: an agent hears once its attempt's outcome is in the journal (durable, as
 * acknowledged by the backend), or that it will not be (the journal failed, a shutdown
 * interrupted the run), so that an agent keeping the outcome elsewhere (a remote job) drops it
 * only when a resume no longer needs it.
 */

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-after-recorded-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What a gated journal saw, and the handle on its acknowledgements. */
interface Gate {
  /** `type task#attempt` of each event in a group the backend acknowledged durable, or before one. */
  readonly durable: Set<string>;
  /** While true, durable groups wait for {@link open}. */
  held: boolean;
  open(): void;
  /** Makes the next durable append fail. */
  failNext: boolean;
}

/** `fileJournal(dir)` whose writer acknowledges each group on a later tick, durable ones only when the gate is open. */
function gatedJournal(): { journal: Journal; gate: Gate } {
  const inner = fileJournal(dir, { sync: 'none' });
  let waiting: Array<() => void> = [];
  const gate: Gate = {
    durable: new Set(),
    held: false,
    failNext: false,
    open() {
      gate.held = false;
      for (const go of waiting.splice(0)) go();
    },
  };
  const gated = (writer: JournalWriter): JournalWriter => {
    const appended: DagEvent[] = [];
    return {
      append(events, durable = true) {
        appended.push(...events);
        writer.append(events, durable);
        const upTo = appended.length;
        if (durable && gate.failNext) {
          gate.failNext = false;
          return Promise.reject(new Error('disk gone'));
        }
        const acknowledge = () => {
          if (!durable) return;
          for (const event of appended.slice(0, upTo))
            if ('taskId' in event) gate.durable.add(`${event.type} ${event.taskId}#${event.attempt}`);
        };
        return new Promise<void>((resolve) => {
          const go = () => setTimeout(() => resolve(acknowledge()), 1);
          if (durable && gate.held) waiting.push(go);
          else go();
        });
      },
      close: () => writer.close(),
    };
  };
  const journal = withWrappedWriters(inner, gated);
  return { journal, gate };
}

/** What each attempt's agent heard: `task#attempt` → what it was told, and what was durable then. */
type Heard = Map<string, { recorded: boolean; durableThen: ReadonlySet<string> }>;

/** An agent that asks to hear when its outcome is recorded; `outcome` decides what it returns. */
function listeningAgent(heard: Heard, gate: Gate | undefined, outcome: (task: TaskContext) => unknown = () => 'ok'): Agent {
  return (task) => {
    afterRecorded(task, (recorded) => heard.set(`${task.id}#${task.attempt}`, { recorded, durableThen: new Set(gate?.durable) }));
    return outcome(task);
  };
}

describe('afterRecorded', () => {
  it("should tell each attempt's agent once the event of its outcome is durable, retried attempts included", async () => {
    const { journal, gate } = gatedJournal();
    const heard: Heard = new Map();
    const tasks = Array.from({ length: 40 }, (_, i) => ({
      id: `t${i}`,
      deps: i === 0 ? [] : [`t${Math.floor(i / 2)}`],
      retry: { attempts: 2, backoffMs: 0 },
    }));
    const flaky = (task: TaskContext) =>
      Number(task.id.slice(1)) % 5 === 0 && task.attempt === 1 ? Promise.reject(new Error('flaky')) : 'ok';
    const events = await lastValueFrom(
      runDag(
        { id: 'recorded', defaults: { agent: 'w' }, tasks },
        { agents: { w: listeningAgent(heard, gate, flaky) }, journal, healthCheckIntervalMs: 0 },
      ).pipe(toArray()),
    );
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    const attempts = events.filter((event) => event.type === 'task.started').map((event) => `${event.taskId}#${event.attempt}`);
    expect([...heard.keys()].sort()).toEqual(attempts.sort());
    expect(attempts).toHaveLength(48);
    for (const [attempt, { recorded, durableThen }] of heard) {
      const [taskId, number] = attempt.split('#');
      expect(recorded).toBe(true);
      const outcome = number === '1' && Number(taskId!.slice(1)) % 5 === 0 ? 'task.failed' : 'task.completed';
      expect({ attempt, durable: durableThen.has(`${outcome} ${attempt}`) }).toEqual({ attempt, durable: true });
    }
  });

  it('should wait while the durable group holding the outcome is not acknowledged', async () => {
    const { journal, gate } = gatedJournal();
    const heard: Heard = new Map();
    let release: () => void = () => undefined;
    const b = new Promise((resolve) => (release = () => resolve('b')));
    const events: DagEvent[] = [];
    const done = new Promise<void>((resolve) =>
      runDag(
        { id: 'held', defaults: { agent: 'w' }, tasks: [{ id: 'a' }, { id: 'b' }, { id: 'c', deps: ['a'] }] },
        { agents: { w: listeningAgent(heard, gate, (task) => (task.id === 'b' ? b : 'ok')) }, journal, healthCheckIntervalMs: 0 },
      ).subscribe({ next: (event) => events.push(event), complete: resolve }),
    );
    await waitUntil(() => events.some((event) => event.type === 'task.started' && event.taskId === 'c'));
    await waitUntil(() => heard.has('a#1'));
    // `c` started: `a`'s completion is durable, and `a` was told; `b` has not ended
    gate.held = true;
    release();
    await waitUntil(() => events.some((event) => event.type === 'task.completed' && event.taskId === 'b'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(heard.has('b#1')).toBe(false); // its group is out, not acknowledged
    gate.open();
    await done;
    expect(heard.get('b#1')).toMatchObject({ recorded: true });
    expect(heard.get('b#1')!.durableThen.has('task.completed b#1')).toBe(true);
  });

  it.each(['fail-fast', 'skip-dependents with a critical error'] as const)(
    'should tell the attempt whose failure ends the run (%s), once its failure is durable',
    async (how) => {
      const { journal, gate } = gatedJournal();
      const heard: Heard = new Map();
      const fail = (task: TaskContext) => {
        if (task.id !== 'a') return new Promise(() => undefined); // b runs until the run ends
        return Promise.reject(how === 'fail-fast' ? new Error('boom') : new AgentError('boom', { severity: 'critical' }));
      };
      const events = await lastValueFrom(
        runDag(
          { id: 'ends', defaults: { agent: 'w', retry: { attempts: 1 } }, tasks: [{ id: 'a' }, { id: 'b' }] },
          {
            agents: { w: listeningAgent(heard, gate, fail) },
            journal,
            healthCheckIntervalMs: 0,
            failurePolicy: how === 'fail-fast' ? 'fail-fast' : 'skip-dependents',
          },
        ).pipe(toArray()),
      );
      expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'failed' });
      await waitUntil(() => heard.has('a#1'));
      expect(heard.get('a#1')!.recorded).toBe(true);
      expect(heard.get('a#1')!.durableThen.has('task.failed a#1')).toBe(true);
    },
  );

  it('should tell once the flush that wrote the outcome ends, not at a later start', async () => {
    const { journal, gate } = gatedJournal();
    const heard: Heard = new Map();
    let release: () => void = () => undefined;
    const long = new Promise((resolve) => (release = () => resolve('long')));
    const done = lastValueFrom(
      runDag(
        { id: 'soon', defaults: { agent: 'w' }, tasks: [{ id: 'quick' }, { id: 'long' }] },
        { agents: { w: listeningAgent(heard, gate, (task) => (task.id === 'long' ? long : 'quick')) }, journal, healthCheckIntervalMs: 0 },
      ),
    );
    // nothing starts after `quick` ends: only its own flush can make its completion durable
    await waitUntil(() => heard.has('quick#1'));
    expect(heard.get('quick#1')).toMatchObject({ recorded: true });
    expect(heard.get('quick#1')!.durableThen.has('task.completed quick#1')).toBe(true);
    release();
    await done;
  });

  it('should tell at once, after the outcome, when the run has no journal', async () => {
    const heard: Heard = new Map();
    const order: string[] = [];
    const agent: Agent = (task) => {
      afterRecorded(task, (recorded) => order.push(`told ${task.id} ${recorded}`));
      order.push(`returned ${task.id}`);
      return 'ok';
    };
    const events = await lastValueFrom(
      runDag({ id: 'plain', defaults: { agent: 'w' }, tasks: [{ id: 'a' }] }, { agents: { w: agent } }).pipe(toArray()),
    );
    expect(events.at(-1)).toMatchObject({ outcome: 'succeeded' });
    expect(order).toEqual(['returned a', 'told a true']);
    expect(heard.size).toBe(0);
  });

  it('should tell `false` when the journal fails before the outcome is durable, and the run errors', async () => {
    const { journal, gate } = gatedJournal();
    const heard: Heard = new Map();
    // the durable group made before `b` starts, which holds `a`'s completion, fails
    const failLater = (task: TaskContext) => {
      if (task.id === 'a') gate.failNext = true;
      return 'ok';
    };
    const run = lastValueFrom(
      runDag(
        { id: 'fails', defaults: { agent: 'w' }, tasks: [{ id: 'a' }, { id: 'b', deps: ['a'] }] },
        { agents: { w: listeningAgent(heard, gate, failLater) }, journal, healthCheckIntervalMs: 0 },
      ),
    );
    await expect(run).rejects.toMatchObject({ name: 'JournalWriteError' });
    expect(heard.get('a#1')).toMatchObject({ recorded: false });
    expect(heard.has('b#1')).toBe(false);
  });

  it('should tell `false` to an attempt whose outcome an interrupting shutdown keeps out of the journal', async () => {
    const { journal } = gatedJournal();
    const told: boolean[] = [];
    let called: () => void = () => undefined;
    const agentCalled = new Promise<void>((resolve) => (called = resolve));
    const agent: Agent = (task) => {
      afterRecorded(task, (recorded) => told.push(recorded));
      called();
      return new Promise((_, reject) => task.signal.addEventListener('abort', () => reject(task.signal.reason)));
    };
    const scheduler = createScheduler({ agents: { w: agent }, journal, healthCheckIntervalMs: 0 });
    const ended = lastValueFrom(scheduler.submit({ id: 'stops', defaults: { agent: 'w' }, tasks: [{ id: 'a' }] })).catch(
      (error: unknown) => error,
    );
    await agentCalled;
    await scheduler.shutdown({ interrupt: true });
    await ended;
    expect(told).toEqual([false]);
  });

  it('should tell `false` at once to an attempt whose outcome waits for the journal when an interrupting shutdown comes', async () => {
    const { journal, gate } = gatedJournal();
    const heard: Heard = new Map();
    let release: () => void = () => undefined;
    const quick = new Promise((resolve) => (release = () => resolve('quick')));
    const scheduler = createScheduler({
      agents: { w: listeningAgent(heard, gate, (task) => (task.id === 'slow' ? new Promise(() => undefined) : quick)) },
      journal,
      healthCheckIntervalMs: 0,
    });
    const events: DagEvent[] = [];
    const ended = new Promise<void>((resolve) =>
      scheduler
        .submit({ id: 'cut', defaults: { agent: 'w' }, tasks: [{ id: 'slow' }, { id: 'quick' }] })
        .subscribe({ next: (event) => events.push(event), error: () => resolve(), complete: resolve }),
    );
    await waitUntil(() => events.filter((event) => event.type === 'task.started').length === 2);
    gate.held = true; // `quick`'s completion is written, never acknowledged
    release();
    await waitUntil(() => events.some((event) => event.type === 'task.completed'));
    expect(heard.has('quick#1')).toBe(false);
    await scheduler.shutdown({ interrupt: true });
    await ended;
    expect(heard.get('quick#1')).toMatchObject({ recorded: false });
    expect(heard.get('slow#1')).toMatchObject({ recorded: false });
  });

  it('should tell `false` at once to a callback given after the attempt’s outcome was taken, journal or not', async () => {
    for (const journal of [undefined, fileJournal(dir)]) {
      const told: string[] = [];
      let lateDone: () => void = () => undefined;
      const late = new Promise<void>((resolve) => (lateDone = resolve));
      const agent: Agent = (task) => {
        setTimeout(() => {
          afterRecorded(task, (recorded) => told.push(`late ${recorded}`));
          lateDone();
        }, 5);
        return 'ok';
      };
      const run = runDag(
        { id: 'late', defaults: { agent: 'w' }, tasks: [{ id: 'a' }] },
        { agents: { w: agent }, ...(journal && { journal }) },
      );
      expect((await lastValueFrom(run)).type).toBe('dag.completed');
      await late;
      expect(told).toEqual(['late false']);
    }
  });

  it('should tell `true` at once for a context not made by a scheduler', () => {
    const told: boolean[] = [];
    afterRecorded({ id: 'a', attempt: 1 } as TaskContext, (recorded) => told.push(recorded));
    expect(told).toEqual([true]);
  });
});

async function waitUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(done()).toBe(true);
}
