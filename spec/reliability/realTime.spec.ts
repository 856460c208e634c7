import fc from 'fast-check';
import { lastValueFrom, type Observable, of, take, throwError, toArray } from 'rxjs';
import {
  AgentError,
  type Agent,
  type DagEvent,
  defineDag,
  initialRunState,
  reduce,
  runDag,
  selectTasks,
  type TaskContext,
} from '../../src';
import { eventLogViolations } from '../cli/support/eventLogInvariants';
import { propertyParameters } from './support/config';
import { hintProperties } from './support/retryHints';
import { buildDag, behaviourOf, type DepState, effectiveRule, ruleHolds } from './support/model';
import { stateOf } from './support/checkRules';
import { dagArb, failurePolicyArb, kindsArb, type Behaviour } from './support/scenario';

/**
 * The same kind of generated runs in real time (asyncScheduler, real promises and microtasks),
 * where the pipeline's batching meets real promise ordering. Agents settle on microtasks only,
 * so each run takes milliseconds. Checked: the event log contract, the fold, the limits (in units
 * of weight) and the trigger rules at every start.
 */

/** Plays a behaviour with real promises; time is not simulated, so delays become microtask hops. */
function playReal(behaviour: Behaviour, ctx: TaskContext): unknown {
  const hops = async (n: number) => {
    for (let i = 0; i < n % 4; i++) await Promise.resolve();
  };
  const failWith = (via: 'throw' | 'reject' | 'error', error: unknown): unknown => {
    if (via === 'throw') throw error;
    if (via === 'reject') return hops(1).then(() => Promise.reject(error));
    return throwError(() => error) as Observable<never>;
  };
  switch (behaviour.kind) {
    case 'ok':
    case 'spawn':
    case 'badSpawn':
    case 'hang':
    case 'empty':
      return behaviour.kind !== 'hang' && behaviour.delay % 2 === 0
        ? of(ctx.id)
        : hops(behaviour.kind === 'hang' ? 1 : behaviour.delay).then(() => ctx.id);
    case 'fail':
      // with the retry hints it carries (no limits here: a pause holds nothing)
      return failWith(
        behaviour.via,
        Object.assign(new Error(`boom ${ctx.id}`), behaviour.hint === undefined ? {} : hintProperties(behaviour.hint)),
      );
    case 'warning':
      return failWith(behaviour.via, new AgentError('careful', { severity: 'warning', output: ctx.id }));
    case 'critical':
      return failWith(behaviour.via, new AgentError('fatal', { severity: 'critical' }));
    case 'unsafe':
      return hops(behaviour.delay).then(() => ({ n: 1n }));
  }
}

describe('scheduler invariants in real time', () => {
  it('should hold for generated runs on real promises and microtasks', async () => {
    await fc.assert(
      fc.asyncProperty(
        dagArb(40, false),
        kindsArb,
        fc.integer({ min: 1, max: 8 }),
        failurePolicyArb,
        fc.constantFrom(0, 10, 40),
        fc.option(fc.integer({ min: 1, max: 200 }), { nil: undefined }),
        async (gen, kinds, maxConcurrency, failurePolicy, faultRate, stopAfter) => {
          const model = buildDag(gen, 'real', { maxConcurrency, kinds, limits: new Map() }, faultRate);
          const dag = defineDag(model.spec);
          let running = 0; // units of weight
          let maxRunning = 0;
          const agents: Record<string, Agent> = {};
          for (let k = 0; k < kinds.length; k++) {
            agents[`k${k}`] = (ctx) => {
              const units = model.tasks.get(ctx.id)!.weight;
              running += units;
              maxRunning = Math.max(maxRunning, running);
              const done = () => (running -= units);
              try {
                const result = playReal(behaviourOf(model.tasks.get(ctx.id)!, ctx.attempt), ctx);
                if (result instanceof Promise) return result.finally(done);
                done(); // Observables here settle synchronously on subscribe
                return result;
              } catch (error) {
                done();
                throw error;
              }
            };
          }
          const run$ = runDag(dag, { agents, maxConcurrency, failurePolicy, healthCheckIntervalMs: 0, runId: 'real' });
          const all: DagEvent[] = [];
          const watch = run$.events$.subscribe((e) => all.push(e));
          await lastValueFrom((stopAfter === undefined ? run$ : run$.pipe(take(stopAfter))).pipe(toArray()));
          // a cancelled run still ends: wait for its dag.completed on the run's own stream
          for (let i = 0; i < 100 && all.at(-1)?.type !== 'dag.completed'; i++) await new Promise((resolve) => setTimeout(resolve, 1));
          watch.unsubscribe();
          const problems = eventLogViolations(all);
          let state = initialRunState(dag, 'real', failurePolicy);
          try {
            for (const event of all) state = reduce(state, event);
          } catch (error) {
            problems.push(`fold: ${(error as Error).message}`);
          }
          const end = all.at(-1);
          if (end?.type === 'dag.completed' && state.status !== end.outcome)
            problems.push(`fold ends ${state.status}, the run ${end.outcome}`);
          if (
            selectTasks(state).some(
              (t) => t.status === 'pending' || t.status === 'ready' || t.status === 'running' || t.status === 'backoff',
            )
          )
            problems.push('unfinished tasks in the fold');
          let inFlight = 0;
          const ended = new Map<string, string>();
          const depStates = new Map<string, DepState>();
          for (const e of all) {
            if (e.type === 'task.started') {
              const task = model.tasks.get(e.taskId)!;
              if ((inFlight += task.weight) > maxConcurrency) problems.push(`${inFlight} units running, limit ${maxConcurrency}`);
              const rule = effectiveRule(task, failurePolicy);
              const deps = [...task.deps].map((dep): DepState => depStates.get(dep) ?? 'pending');
              if (!ruleHolds(rule, deps)) problems.push(`${e.taskId} (${rule}) started with its dependencies ${deps.join(', ')}`);
            } else if (e.type === 'task.completed' || e.type === 'task.failed' || e.type === 'task.cancelled') {
              if (e.type !== 'task.cancelled' || ended.get(e.taskId) === 'running') inFlight -= model.tasks.get(e.taskId)!.weight;
            }
            if (e.type === 'task.started') ended.set(e.taskId, 'running');
            if ('taskId' in e) {
              const state = stateOf(e, depStates);
              if (state !== undefined) depStates.set(e.taskId, state);
            }
            if (
              e.type === 'task.completed' ||
              (e.type === 'task.failed' && !e.willRetry) ||
              e.type === 'task.skipped' ||
              e.type === 'task.cancelled'
            )
              ended.set(e.taskId, e.type);
          }
          if (maxRunning > maxConcurrency) problems.push(`agents running at once held ${maxRunning} units, limit ${maxConcurrency}`);
          if (problems.length > 0) throw new Error(problems.slice(0, 20).join('\n'));
        },
      ),
      propertyParameters(150),
    );
  }, 120_000);
});
