import type { DagEvent, TaskEvent, TriggerRule } from '../../../src';
import { type DepState, effectiveRule, ruleBroken, ruleHolds, type TaskModel } from './model';
import type { RunRecord } from './observation';
import type { Violations } from './taskEvents';

/**
 * Trigger rules, judged on the fold of a run's events: the state of a task's dependencies at the
 * very event that readies, starts or skips it. A task's rule is its own `when`, else the failure
 * policy's (`all-done` under `continue`, `all-succeeded` otherwise). The test's own model says
 * what each rule needs (`ruleHolds`, `ruleBroken` in `model.ts`), never the scheduler's code.
 */

/**
 * How a terminal event leaves a task, for its dependents' rules; a skip by how the task it names
 * as its cause stood then (`states`): a failure there makes it `upstream-failed`.
 */
export function stateOf(event: TaskEvent, states: ReadonlyMap<string, DepState>): DepState | undefined {
  switch (event.type) {
    case 'task.completed':
      return 'completed';
    case 'task.failed':
      return event.willRetry ? undefined : 'failed';
    case 'task.skipped': {
      const cause = states.get(event.because);
      return cause === 'failed' || cause === 'upstream-failed' ? 'upstream-failed' : 'skipped';
    }
    case 'task.cancelled':
      return 'cancelled';
    default:
      return undefined;
  }
}

/**
 * At every `task.ready` and `task.started`, the task's rule held; at every `task.skipped`, it could
 * no longer hold, and `because` names a dependency (direct or not) that had ended as a reason
 * (failed or skipped; any dependency for an `any-failed` task, which is skipped when none failed).
 * Then, from the final log: each task is decided in the frame its rule comes to hold (ready) or
 * breaks (skipped), unless the run ended in that very frame (cancelled).
 */
export function checkRules(
  run: RunRecord,
  terminal: ReadonlyMap<string, TaskEvent>,
  createdAt: number,
  end: Extract<DagEvent, { type: 'dag.completed' }>,
  dependsOn: (task: string, on: string) => boolean,
  v: Violations,
): void {
  const tag = run.runId;
  const policy = run.failurePolicy;
  const state = new Map<string, DepState>();
  const depsOf = (task: TaskModel): DepState[] => [...task.deps].map((dep) => state.get(dep) ?? 'pending');
  const describe = (task: TaskModel): string => [...task.deps].map((dep) => `${dep}:${state.get(dep) ?? 'pending'}`).join(', ');

  for (const event of run.events) {
    if (!('taskId' in event)) continue;
    const task = run.tasks.get(event.taskId);
    if (task === undefined) continue;
    const rule = effectiveRule(task, policy);
    if (event.type === 'task.ready' || event.type === 'task.started') {
      if (!ruleHolds(rule, depsOf(task)))
        v.push(`${tag}: ${event.type} of ${task.id} (seq ${event.seq}) though its rule ${rule} does not hold: ${describe(task)}`);
    } else if (event.type === 'task.skipped') {
      if (!ruleBroken(rule, depsOf(task)))
        v.push(`${tag}: ${task.id} skipped (seq ${event.seq}) though its rule ${rule} could still hold: ${describe(task)}`);
      const cause = state.get(event.because);
      const reason =
        rule === 'any-failed'
          ? cause !== undefined && cause !== 'cancelled'
          : cause === 'failed' || cause === 'upstream-failed' || cause === 'skipped';
      if (!reason) v.push(`${tag}: ${task.id} (${rule}) skipped because of ${event.because}, which is ${cause ?? 'not ended'}`);
      if (!dependsOn(task.id, event.because)) v.push(`${tag}: ${task.id} skipped because of ${event.because}, which it does not depend on`);
      if (rule === 'any-failed' && !task.deps.has(event.because))
        v.push(`${tag}: ${task.id} (any-failed) skipped because of ${event.because}, not one of its dependencies`);
      // skips are decided at once: had a dependency failed before, the failure would have decided this one
      if (stateOf(event, state) === 'skipped' && depsOf(task).some((d) => d === 'failed' || d === 'upstream-failed'))
        v.push(
          `${tag}: ${task.id} skipped because of ${event.because} (no failure) though a dependency had failed before: ${describe(task)}`,
        );
    }
    const ended = stateOf(event, state);
    if (ended !== undefined) state.set(task.id, ended);
  }

  // when each task's rule was decided, from how its dependencies ended
  const readyOf = new Map<string, TaskEvent>();
  for (const e of run.events) if (e.type === 'task.ready' && !readyOf.has(e.taskId)) readyOf.set(e.taskId, e);
  for (const task of run.tasks.values()) {
    const decided = decision(task, effectiveRule(task, policy), terminal, state, createdAt);
    const own = terminal.get(task.id);
    if (own === undefined) continue; // reported as a task that never ended
    const ready = readyOf.get(task.id);
    const inEndFrame = own.type === 'task.cancelled' && end.at === decided?.at;
    if (decided === undefined) {
      if (own.type !== 'task.cancelled')
        v.push(`${tag}: ${task.id} ended ${own.type}, yet its rule was never decided (a dependency never ended as it needs)`);
    } else if (decided.holds) {
      if (ready === undefined ? !inEndFrame : ready.at !== decided.at)
        v.push(
          `${tag}: ${task.id}'s rule ${decided.rule} held at ${decided.at} (${decided.by} ended), yet it was ${ready === undefined ? `never ready (${own.type} at ${own.at})` : `ready at ${ready.at}`}`,
        );
    } else if (own.type === 'task.skipped' ? own.at !== decided.at : !inEndFrame) {
      v.push(
        `${tag}: ${task.id}'s rule ${decided.rule} broke at ${decided.at} (${decided.by} ended), yet it ended ${own.type} at ${own.at}`,
      );
    }
  }
}

/** The moment a task's rule came to hold or broke: the dependency's terminal event that decided it. */
interface Decision {
  readonly rule: TriggerRule;
  readonly holds: boolean;
  readonly at: number;
  readonly by: string;
}

/** `ended`: how each task that ended did, for the rules. */
function decision(
  task: TaskModel,
  rule: TriggerRule,
  terminal: ReadonlyMap<string, TaskEvent>,
  ended: ReadonlyMap<string, DepState>,
  createdAt: number,
): Decision | undefined {
  if (task.deps.size === 0) return { rule, holds: true, at: createdAt, by: 'dag.created' };
  const ends = [...task.deps]
    .map((dep) => terminal.get(dep))
    .filter((e): e is TaskEvent => e !== undefined)
    .sort((a, b) => a.seq - b.seq);
  const deps = [...task.deps];
  const seen = new Map<string, DepState>();
  const check = (): boolean | undefined => {
    const states = deps.map((dep) => seen.get(dep) ?? 'pending');
    if (ruleHolds(rule, states)) return true;
    if (ruleBroken(rule, states)) return false;
    return undefined;
  };
  for (const e of ends) {
    seen.set(e.taskId, ended.get(e.taskId) ?? 'pending');
    const result = check();
    if (result !== undefined) return { rule, holds: result, at: e.at, by: e.taskId };
  }
  return undefined;
}
