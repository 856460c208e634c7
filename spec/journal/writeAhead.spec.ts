import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, of, throwError, timer, map, toArray } from 'rxjs';
import { type Agent, type DagEvent, type DagSpec, defineDag, fileJournal, type Journal, type JournalWriter, runDag } from '../../src';
import { withWrappedWriters } from '../support/journals';

/**
 * Write-ahead, checked at each agent call: the events that released the attempt (its task's
 * `task.ready` or `task.retrying`, each dependency's `task.completed`) are durable, i.e. in a
 * group the backend acknowledged as durable, or before one. And the durable groups a run needs
 * are only those before a task released since the last one starts.
 */

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-write-ahead-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What a watched journal saw: the events made durable so far, and the durable groups asked for. */
interface Watch {
  /** `type task#attempt` of every durable event. */
  readonly durable: Set<string>;
  durableGroups: number;
  groups: number;
}

const keyOf = (type: string, taskId: string, attempt: number) => `${type} ${taskId}#${attempt}`;

/**
 * `fileJournal(dir)` with its writer watched; with `acknowledgeLater`, each append is
 * acknowledged on a later timer tick, as an asynchronous backend (PostgreSQL) does.
 */
function watchedJournal(watch: Watch, acknowledgeLater: boolean): Journal {
  const inner = fileJournal(dir, { sync: 'none' });
  const watchWriter = (writer: JournalWriter): JournalWriter => {
    const appended: DagEvent[] = [];
    return {
      append(events, durable = true) {
        appended.push(...events);
        watch.groups++;
        if (durable) watch.durableGroups++;
        writer.append(events, durable);
        // a durable group makes what was appended before it durable, once acknowledged
        const upTo = appended.length;
        const acknowledge = () => {
          if (!durable) return;
          for (const event of appended.slice(0, upTo)) {
            if ('taskId' in event) watch.durable.add(keyOf(event.type, event.taskId, event.attempt));
          }
        };
        if (!acknowledgeLater) return acknowledge();
        return new Promise<void>((resolve) => setTimeout(() => resolve(acknowledge()), 1));
      },
      close: () => writer.close(),
    };
  };
  return withWrappedWriters(inner, watchWriter);
}

/** 300 tasks, each depending on up to 3 earlier ones (a seeded draw); every 7th fails its first attempt. */
function drawnSpec(seed: number): DagSpec {
  let state = seed;
  const next = (n: number) => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state % n;
  };
  const tasks = Array.from({ length: 300 }, (_, i) => {
    const deps = i === 0 ? [] : [...new Set(Array.from({ length: next(4) }, () => `t${next(i)}`))];
    return { id: `t${i}`, deps, retry: { attempts: 2, backoffMs: 0 } };
  });
  return { id: 'write-ahead', defaults: { agent: 'work' }, tasks };
}

/**
 * An agent that checks write-ahead at each call, then ends at once or after a timer tick; with
 * `flaky`, the first attempt of every 7th task fails.
 */
function checkingAgent(spec: DagSpec, watch: Watch, violations: string[], flaky: boolean): Agent {
  const depsOf = new Map(spec.tasks.map((task) => [task.id, task.deps ?? []]));
  return ({ id, attempt }) => {
    const release = attempt === 1 ? keyOf('task.ready', id, 1) : keyOf('task.retrying', id, attempt);
    if (!watch.durable.has(release)) violations.push(`${id}#${attempt} started before "${release}" was durable`);
    for (const dep of depsOf.get(id) ?? []) {
      if (!watch.durable.has(keyOf('task.completed', dep, 1)) && !watch.durable.has(keyOf('task.completed', dep, 2))) {
        violations.push(`${id}#${attempt} started before the completion of ${dep} was durable`);
      }
    }
    const index = Number(id.slice(1));
    if (flaky && index % 7 === 0 && attempt === 1) return throwError(() => new Error('first attempt fails'));
    return index % 3 === 0 ? timer(0).pipe(map(() => id)) : of(id);
  };
}

describe('write-ahead', () => {
  it.each([
    ['a synchronous backend', false],
    ['a backend that acknowledges later', true],
  ])('should start no attempt before the events that released it are durable, with %s', async (_, acknowledgeLater) => {
    for (const seed of [1, 2, 3]) {
      const spec = drawnSpec(seed);
      const watch: Watch = { durable: new Set(), durableGroups: 0, groups: 0 };
      const violations: string[] = [];
      const events = await lastValueFrom(
        runDag(defineDag(spec), {
          agents: { work: checkingAgent(spec, watch, violations, true) },
          journal: watchedJournal(watch, acknowledgeLater as boolean),
          runId: `seed-${seed}-${String(acknowledgeLater)}`,
          maxConcurrency: 8,
          healthCheckIntervalMs: 0,
        }).pipe(toArray()),
      );
      expect(violations).toEqual([]);
      expect(events[events.length - 1]).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
      expect(events.filter((event) => event.type === 'task.retrying')).toHaveLength(Math.ceil(300 / 7));
    }
  });

  it('should not make a group durable for tasks whose release is durable already', async () => {
    // 200 independent tasks, 4 at a time: all are released by the run's start, so one durable
    // group before the first start and one at the end are all the run needs
    const spec: DagSpec = { id: 'wide', defaults: { agent: 'work' }, tasks: Array.from({ length: 200 }, (_, i) => ({ id: `t${i}` })) };
    const watch: Watch = { durable: new Set(), durableGroups: 0, groups: 0 };
    const violations: string[] = [];
    await lastValueFrom(
      runDag(defineDag(spec), {
        agents: { work: checkingAgent(spec, watch, violations, false) },
        journal: watchedJournal(watch, false),
        runId: 'wide',
        maxConcurrency: 4,
        healthCheckIntervalMs: 0,
      }).pipe(toArray()),
    );
    expect(violations).toEqual([]);
    expect(watch.groups).toBeGreaterThan(10);
    expect(watch.durableGroups).toBe(2);
  });
});
