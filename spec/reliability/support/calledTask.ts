import type { TaskContext } from '../../../src';
import type { AgentCall, BadSpawnParts } from './agents';
import { behaviourOf, limitCeiling, maxWeight, type Resources, spawnedTasks, type TaskModel, undeclaredLimit, unitsOf } from './model';
import { type RunRecord, totals } from './observation';
import type { Behaviour } from './scenario';

/**
 * What both harnesses do when an agent is called, before it plays: find the task the context
 * names (known, of the agent's kind, of its run's DAG), record the call, and script the attempt
 * (its behaviour, the children it asks for when it spawns). It does not count what runs at once
 * nor play the attempt: each harness does, in its own time.
 */

/** An attempt the harness recognised, with its call record. */
export interface CalledTask {
  readonly run: RunRecord;
  readonly task: TaskModel;
  readonly call: AgentCall;
}

/**
 * The task `ctx` names and a new call record (counted in `totals`), or undefined for a task no
 * run has; what is wrong goes to `violation`. `agent` names the agent in messages.
 */
export function calledTask(
  runs: ReadonlyMap<string, RunRecord>,
  kind: string,
  agent: string,
  ctx: TaskContext,
  calledAt: number,
  violation: (message: string) => void,
): CalledTask | undefined {
  const run = runs.get(ctx.runId);
  const task = run?.tasks.get(ctx.id);
  if (run === undefined || task === undefined) {
    violation(`${agent} called for unknown task ${ctx.runId}/${ctx.id}`);
    return undefined;
  }
  if (task.kind !== kind) violation(`task ${ctx.runId}/${ctx.id} of kind ${task.kind} ran on ${agent}`);
  if (ctx.dagId !== run.dagId) violation(`${agent} saw dagId ${ctx.dagId} for ${ctx.runId}/${ctx.id}`);
  totals.attempts++;
  const call: AgentCall = {
    runId: ctx.runId,
    taskId: ctx.id,
    attempt: ctx.attempt,
    kind,
    units: task.weight,
    limits: new Map(task.limits.map((name) => [name, unitsOf(task, name)])),
    calledAt,
    endedAt: undefined,
    aborted: false,
  };
  return { run, task, call };
}

/** The attempt's scripted behaviour, after asking for its children when it spawns, and what an invalid spawn needs. */
export function scriptOf(
  { run, task }: Pick<CalledTask, 'run' | 'task'>,
  kind: string,
  ctx: TaskContext,
  resources: Resources,
  faultRate: number,
): { readonly behaviour: Behaviour; readonly bad: BadSpawnParts } {
  const behaviour = behaviourOf(task, ctx.attempt);
  if (behaviour.kind === 'spawn') {
    const { specs, models } = spawnedTasks(ctx.id, behaviour.children, resources, faultRate, task.dagDefaults);
    run.pendingSpawns.set(`${ctx.id}#${ctx.attempt}`, models);
    ctx.spawn(specs);
  }
  const [limit] = resources.limits.keys();
  return {
    behaviour,
    bad: {
      agent: kind,
      tooHeavy: maxWeight(resources, kind, []) + 1,
      tooManyUnits:
        limit === undefined ? { limit: undeclaredLimit(resources), units: 1 } : { limit, units: limitCeiling(resources, limit) + 1 },
      undeclaredLimit: undeclaredLimit(resources),
    },
  };
}
