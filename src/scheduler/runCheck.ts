import { quoted } from '../dag/errors';
import type { DagIssue } from '../dag/errors';
import type { Dag } from '../dag/types';
import { unknownAgentIssues } from '../dag/unknownAgents';
import type { AgentDefinition } from '../agents/agentSpec';
import type { LimitSpec } from './limits';

/**
 * What a run of a DAG needs from its scheduler, checked before it starts (and for spawned tasks
 * before they join): every agent it names, every limit it names, and room for each task's
 * weight in `maxConcurrency`, in its agent's capacity and in each of its limits (a task heavier
 * than one of them could never start). Every problem at once, as `DagIssue`s; it throws nothing.
 */

/** What a run is checked against. */
export interface RunResources {
  readonly agents: Readonly<Record<string, AgentDefinition>>;
  readonly limits: Readonly<Record<string, LimitSpec>>;
  readonly maxConcurrency: number;
}

/** Which tasks to check (all, or the spawned ones) and where their issues point. */
export interface CheckedTasks {
  readonly fromTask?: number;
  readonly pathOf?: (task: number) => (string | number)[];
}

export function runIssues(dag: Dag, resources: RunResources, which: CheckedTasks = {}): DagIssue[] {
  const { agents, limits, maxConcurrency } = resources;
  const fromTask = which.fromTask ?? 0;
  const pathOf = which.pathOf ?? ((task: number) => ['tasks', task]);
  const issues = unknownAgentIssues(dag, (name) => Object.hasOwn(agents, name), Object.keys(agents), {
    fromTask,
    pathOf: (task) => [...pathOf(task), 'agent'],
  });
  const { index } = dag;
  if (index.weight === undefined && index.limits === undefined) return issues;
  const known = Object.keys(limits);
  for (let task = fromTask; task < dag.size; task++) {
    const id = quoted(index.ids[task]!);
    const weight = index.weight?.[task] ?? 1;
    const names = index.limits?.[task] ?? [];
    names.forEach((name, k) => {
      // own keys only: a limit called `constructor` or `__proto__` must be declared to count
      const limit = Object.hasOwn(limits, name) ? limits[name] : undefined;
      if (limit === undefined) {
        issues.push({
          path: [...pathOf(task), 'limits', k],
          code: 'unknown-limit',
          message: `task ${id} needs limit ${quoted(name)}, which is not declared; known limits: ${known.length === 0 ? 'none' : known.map(quoted).join(', ')}`,
        });
        return;
      }
      const room = Math.min(limit.concurrency ?? Number.POSITIVE_INFINITY, limit.rate?.limit ?? Number.POSITIVE_INFINITY);
      if (weight > room) {
        const what = limit.concurrency !== undefined && limit.concurrency === room ? `concurrency ${room}` : `rate limit ${room} per ${limit.rate!.intervalMs} ms`;
        issues.push(tooHeavy([...pathOf(task), 'weight'], `task ${id} weighs ${weight}, more than limit ${quoted(name)} allows (${what})`));
      }
    });
    if (weight > maxConcurrency) {
      issues.push(tooHeavy([...pathOf(task), 'weight'], `task ${id} weighs ${weight}, more than \`maxConcurrency\` ${maxConcurrency}`));
    }
    const agent = agents[index.agentNames[index.agentCodes[task]!]!];
    const capacity = typeof agent === 'object' ? (agent.capacity ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY;
    if (weight > capacity) {
      const name = quoted(index.agentNames[index.agentCodes[task]!]!);
      issues.push(tooHeavy([...pathOf(task), 'weight'], `task ${id} weighs ${weight}, more than the capacity ${capacity} of agent ${name}`));
    }
  }
  return issues;
}

function tooHeavy(path: (string | number)[], message: string): DagIssue {
  return { path, code: 'too-heavy', message: `${message}: it could never start` };
}
