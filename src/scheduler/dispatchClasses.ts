import type { AgentKind } from '../agents/pool';
import type { DagIndex } from '../dag/types';
import { type DispatchOrder, dispatchOrder } from './dispatchOrder';
import type { Limit } from './limits';

/**
 * Dispatch classes of a DAG: tasks that wait for the same things (the same agent, the same named
 * limits) share a class, and each class of a run has its own ready queue, so a task waiting for
 * one limit never blocks tasks that don't need it. Without limits a class is an agent code (the
 * usual case: nothing is computed). Computed once per DAG; codes are given in order of first use,
 * so a DAG grown by spawning keeps the codes it had. It knows nothing of time, nor of capacity
 * beyond whether an agent kind has a number of slots (`sharesRoom`).
 */
export interface DispatchClasses {
  /** Each task's class code. */
  readonly classOf: Int32Array;
  /** Each class's agent code. */
  readonly agentCodeOf: readonly number[];
  /** Each class's limit names (empty for none). */
  readonly limitsOf: readonly (readonly string[])[];
}

const memo = new WeakMap<DagIndex, DispatchClasses>();
const NO_LIMITS: readonly string[] = Object.freeze([]);

export function dispatchClasses(index: DagIndex): DispatchClasses {
  let classes = memo.get(index);
  if (classes === undefined) {
    classes = index.limits === undefined ? byAgent(index) : byAgentAndLimits(index, index.limits);
    memo.set(index, classes);
  }
  return classes;
}

function byAgent(index: DagIndex): DispatchClasses {
  return {
    classOf: index.agentCodes,
    agentCodeOf: index.agentNames.map((_, code) => code),
    limitsOf: index.agentNames.map(() => NO_LIMITS),
  };
}

function byAgentAndLimits(index: DagIndex, limits: readonly (readonly string[] | undefined)[]): DispatchClasses {
  const codeOfKey = new Map<string, number>();
  const agentCodeOf: number[] = [];
  const limitsOf: (readonly string[])[] = [];
  const classOf = new Int32Array(index.agentCodes.length);
  for (let task = 0; task < classOf.length; task++) {
    const agent = index.agentCodes[task]!;
    const names = limits[task] === undefined ? NO_LIMITS : [...limits[task]!].sort();
    const key = `${agent}\u0000${names.join('\u0000')}`;
    let code = codeOfKey.get(key);
    if (code === undefined) {
      code = agentCodeOf.length;
      codeOfKey.set(key, code);
      agentCodeOf.push(agent);
      limitsOf.push(names);
    }
    classOf[task] = code;
  }
  return { classOf, agentCodeOf, limitsOf };
}

/** What the ready tasks of one dispatch class wait for: a slot of their agent kind, room in their limits. */
export interface DispatchClass {
  readonly kind: AgentKind;
  readonly limits: readonly Limit[];
}

/**
 * The dispatch order of a DAG's tasks by class, adding to `classes` (a run's, by class code) the
 * classes the DAG has that are new (a DAG grown by spawning keeps the codes it had).
 */
export function classOrder(
  index: DagIndex,
  classes: DispatchClass[],
  kindOf: (agent: string) => AgentKind,
  limitOf: (name: string) => Limit,
): DispatchOrder {
  const { classOf, agentCodeOf, limitsOf } = dispatchClasses(index);
  for (let code = classes.length; code < agentCodeOf.length; code++) {
    classes.push({ kind: kindOf(index.agentNames[agentCodeOf[code]!]!), limits: limitsOf[code]!.map(limitOf) });
  }
  const { priority, rank, dependents, topologicalOrder } = index;
  return dispatchOrder({ priority, rank, agentCodes: classOf, dependents, topologicalOrder });
}

/**
 * Whether tasks of two classes take some of the same room: a class's own (its tasks wait in one
 * queue), their agent kind's slots (when it has a number of them: an agent of any number at once
 * keeps nothing), or a limit's units.
 */
export function sharesRoom(a: DispatchClass, b: DispatchClass): boolean {
  return a === b || (a.kind === b.kind && Number.isFinite(a.kind.capacity)) || a.limits.some((limit) => b.limits.includes(limit));
}
