/**
 * Differential test of the start order: runs the same random scenarios in virtual time on this
 * checkout's scheduler and on another checkout's (`--base`, e.g. a `git worktree` of the commit
 * before a change to dispatch), and reports every scenario whose events differ. A scenario is
 * many runs on one scheduler: random DAG shapes, priorities, weights, agent capacities, named
 * limits (concurrency, rate windows, units of their own), trigger rules, retries with backoff
 * and hints, time limits, spawned tasks, failure policies, cancellations, and runs submitted at
 * different virtual times. Each is made from its number alone, so a difference found once is
 * found again with `--seeds 1 --from N --show`. What is compared is every event in the order the
 * scheduler emitted it (type, run, task, attempt, virtual time): `task.started` order above all.
 * It does not check that either side is right, only that both do the same.
 *
 *   tsx scripts/startOrderDiff.ts --base /tmp/rxdag-base [--seeds 4000] [--from 0] [--show]
 */
import { resolve } from 'node:path';
import { TestScheduler } from 'rxjs/testing';
import type * as Rxdag from '../src';
import { seededRandom as random } from '../spec/support/seeded';

type Library = typeof Rxdag;

/** A number in [0, 1) from a string and the scenario: what an attempt does depends on nothing else. */
function hashOf(text: string, seed: number): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return random(h)();
}

interface Scenario {
  readonly maxConcurrency: number;
  readonly healthCheckIntervalMs: number;
  readonly limits: Record<string, Rxdag.LimitSpec>;
  /** Agent name → capacity (undefined: a plain function, no capacity). */
  readonly agents: Record<string, number | undefined>;
  readonly taskTimeoutMs: number | undefined;
  readonly runs: readonly RunPlan[];
}

interface RunPlan {
  readonly runId: string;
  readonly submitAt: number;
  readonly cancelAt: number | undefined;
  readonly failurePolicy: Rxdag.FailurePolicy;
  readonly tasks: Rxdag.TaskSpec[];
}

/** The scenario of number `seed`. */
export function scenarioOf(seed: number): Scenario {
  const rand = random(seed * 7919 + 17);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const chance = (p: number) => rand() < p;

  const maxConcurrency = int(1, 8);
  const limits: Record<string, Rxdag.LimitSpec> = {};
  for (let l = 0, count = int(0, 3); l < count; l++) {
    const kind = int(0, 2);
    const concurrency = int(1, 4);
    const rate = { limit: int(1, 4), intervalMs: int(1, 8) };
    limits[`L${l}`] = kind === 0 ? { concurrency } : kind === 1 ? { rate } : { concurrency, rate };
  }
  const agents: Record<string, number | undefined> = {};
  for (let a = 0, count = int(1, 3); a < count; a++) agents[`A${a}`] = chance(0.5) ? int(1, 4) : undefined;
  const agentNames = Object.keys(agents);
  const limitNames = Object.keys(limits);
  const manyRuns = chance(0.2);
  const runCount = manyRuns ? int(20, 60) : int(1, 12);
  const runs: RunPlan[] = [];
  for (let r = 0; r < runCount; r++) {
    const size = manyRuns ? int(1, 5) : int(1, 12);
    const tasks: Rxdag.TaskSpec[] = [];
    for (let t = 0; t < size; t++) {
      const agent = pick(agentNames);
      const deps = t === 0 ? [] : Array.from({ length: int(0, Math.min(3, t)) }, () => `t${int(0, t - 1)}`);
      const capacity = agents[agent] ?? Number.POSITIVE_INFINITY;
      const task: Record<string, unknown> = { id: `t${t}`, agent, deps: [...new Set(deps)] };
      if (chance(0.3)) task['priority'] = int(-2, 3);
      if (chance(0.2)) task['estimateMs'] = int(1, 20);
      if (chance(0.15)) task['weight'] = int(1, Math.min(3, maxConcurrency, capacity));
      if (limitNames.length > 0 && chance(0.6)) {
        const names = [...new Set(Array.from({ length: int(1, 2) }, () => pick(limitNames)))];
        task['limits'] = chance(0.25) ? Object.fromEntries(names.map((name) => [name, unitsFor(limits[name]!, int(1, 3))])) : names;
        // a weight is taken of every limit named in a list: keep it within each one's room
        if (Array.isArray(task['limits']) && task['weight'] !== undefined) {
          task['weight'] = Math.min(task['weight'] as number, ...names.map((name) => unitsFor(limits[name]!, 3)));
        }
      }
      if ((task['deps'] as string[]).length > 0 && chance(0.2)) task['when'] = pick(TRIGGER_RULES);
      if (chance(0.3)) task['retry'] = { attempts: int(1, 4), backoffMs: int(0, 6), backoffFactor: pick([1, 2]), maxBackoffMs: int(2, 12) };
      if (chance(0.1)) task['timeoutMs'] = int(1, 5);
      tasks.push(task as unknown as Rxdag.TaskSpec);
    }
    runs.push({
      runId: `r${r}`,
      submitAt: chance(0.5) ? 0 : int(0, 40),
      cancelAt: chance(0.1) ? int(0, 40) : undefined,
      failurePolicy: pick(['skip-dependents', 'skip-dependents', 'fail-fast', 'continue'] as const),
      tasks,
    });
  }
  return {
    maxConcurrency,
    healthCheckIntervalMs: chance(0.2) ? int(3, 9) : 0,
    limits,
    agents,
    taskTimeoutMs: chance(0.1) ? int(2, 6) : undefined,
    runs,
  };
}

const TRIGGER_RULES = ['all-succeeded', 'all-done', 'any-failed', 'none-failed'] as const;

/** At most `wanted` units, and no more than the limit allows at all. */
function unitsFor(limit: Rxdag.LimitSpec, wanted: number): number {
  return Math.min(wanted, limit.concurrency ?? Number.POSITIVE_INFINITY, limit.rate?.limit ?? Number.POSITIVE_INFINITY);
}

/** Runs `scenario` on `lib` in virtual time; returns every event of every run as lines, in emission order. */
export function play(lib: Library, scenario: Scenario, seed: number): string[] {
  const lines: string[] = [];
  const ts = new TestScheduler(() => undefined);
  ts.run(({ cold }) => {
    const agentOf =
      (name: string): Rxdag.Agent =>
      (context) => {
        const key = `${context.runId}/${context.id}/${context.attempt}/${name}`;
        const roll = hashOf(key, seed);
        const frames = '-'.repeat(Math.floor(hashOf(`${key}:d`, seed) * 6));
        if (roll < 0.08 && context.attempt === 1 && /^t\d+$/.test(context.id)) {
          context.spawn([{ id: `${context.id}-s`, agent: name, deps: [context.id] }]);
        }
        if (roll < 0.7) return cold(`${frames}(x|)`, { x: roll });
        const severity = roll < 0.74 ? 'warning' : roll < 0.77 ? 'critical' : 'error';
        const hint = roll > 0.9 ? { retryAfterMs: Math.floor(roll * 100) % 7, pauseLimits: roll > 0.95 } : {};
        return cold(`${frames}#`, undefined, new lib.AgentError(`boom ${key}`, { severity, ...hint }));
      };
    const agents: Record<string, Rxdag.AgentDefinition> = {};
    for (const [name, capacity] of Object.entries(scenario.agents)) {
      agents[name] = capacity === undefined ? agentOf(name) : lib.defineAgent({ capacity, run: agentOf(name) });
    }
    const scheduler = lib.createScheduler({
      scheduler: ts,
      maxConcurrency: scenario.maxConcurrency,
      healthCheckIntervalMs: scenario.healthCheckIntervalMs,
      stuckAfterMs: 4,
      limits: scenario.limits,
      agents,
      taskTimeoutMs: scenario.taskTimeoutMs,
    });
    scheduler.events$.subscribe((e) => lines.push(lineOf(e)));
    for (const run of scenario.runs) {
      ts.schedule(() => {
        let dag: Rxdag.Dag;
        try {
          dag = lib.defineDag({ id: run.runId, tasks: run.tasks });
        } catch (error) {
          lines.push(`${ts.now()} ${run.runId} refused: ${(error as Error).message.split('\n').slice(0, 2).join(' ')}`);
          return;
        }
        const subscription = scheduler
          .submit(dag, { runId: run.runId, failurePolicy: run.failurePolicy })
          .subscribe({ error: (error: Error) => lines.push(`${ts.now()} ${run.runId} error: ${error.message.split('\n')[0]}`) });
        if (run.cancelAt !== undefined) ts.schedule(() => subscription.unsubscribe(), run.cancelAt);
      }, run.submitAt);
    }
  });
  return lines;
}

function lineOf(e: Rxdag.DagEvent): string {
  const task = 'taskId' in e ? ` ${e.taskId}#${e.attempt}` : '';
  const extra =
    e.type === 'task.failed'
      ? ` ${e.severity} retry=${e.willRetry}`
      : e.type === 'dag.completed'
        ? ` ${e.outcome}`
        : e.type === 'health.checked'
          ? ` ${e.running}/${e.ready}/${e.pending}`
          : '';
  return `${e.at} ${e.runId} ${e.seq} ${e.type}${task}${extra}`;
}

function flag(args: string[], name: string, fallback: string | undefined): string | undefined {
  const at = args.indexOf(name);
  return at < 0 ? fallback : args[at + 1];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const base = flag(args, '--base', undefined);
  if (base === undefined) throw new Error('usage: tsx scripts/startOrderDiff.ts --base <other checkout> [--seeds N] [--from N] [--show]');
  const seeds = Number(flag(args, '--seeds', '4000'));
  const from = Number(flag(args, '--from', '0'));
  const show = args.includes('--show');
  const ours = (await import(resolve(__dirname, '../src/index.ts'))) as Library;
  const theirs = (await import(resolve(base, 'src/index.ts'))) as Library;
  const differing: number[] = [];
  let events = 0;
  let starts = 0;
  const began = performance.now();
  for (let seed = from; seed < from + seeds; seed++) {
    const scenario = scenarioOf(seed);
    const a = play(theirs, scenario, seed);
    const b = play(ours, scenario, seed);
    events += a.length;
    starts += a.filter((line) => line.includes(' task.started ')).length;
    const at = firstDifference(a, b);
    if (at < 0) continue;
    differing.push(seed);
    process.stdout.write(`seed ${seed}: differs at event ${at}\n  base: ${a[at] ?? '(none)'}\n  this: ${b[at] ?? '(none)'}\n`);
    if (show)
      for (let k = Math.max(0, at - 15); k <= at + 5 && k < Math.max(a.length, b.length); k++) {
        process.stdout.write(`  ${k === at ? '>' : ' '} ${(a[k] ?? '').padEnd(48)} | ${b[k] ?? ''}\n`);
      }
  }
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  process.stdout.write(
    `${seeds} scenarios (${from}..${from + seeds - 1}), ${events} events, ${starts} starts compared in ${seconds} s: ` +
      `${differing.length} differ${differing.length > 0 ? ` (${differing.join(', ')})` : ''}\n`,
  );
  process.exitCode = differing.length > 0 ? 1 : 0;
}

function firstDifference(a: readonly string[], b: readonly string[]): number {
  for (let k = 0; k < Math.max(a.length, b.length); k++) if (a[k] !== b[k]) return k;
  return -1;
}

if (require.main === module)
  void main().catch((error: unknown) => {
    process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
    process.exitCode = 2;
  });
