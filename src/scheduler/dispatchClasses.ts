import type { DagIndex } from '../dag/types';

/**
 * Dispatch classes of a DAG: tasks that wait for the same things (the same agent, the same named
 * limits) share a class, and each class of a run has its own ready queue, so a task waiting for
 * one limit never blocks tasks that don't need it. Without limits a class is an agent code (the
 * usual case: nothing is computed). Computed once per DAG; codes are given in order of first use,
 * so a DAG grown by spawning keeps the codes it had. It knows nothing of capacity or time.
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
