/**
 * The one check for tasks whose agent a run does not have: one `unknown-agent` issue per unknown
 * name, naming up to three of its tasks and the agents that are known. A pure function: it
 * neither throws nor knows where the agents come from (the caller passes `hasAgent`).
 */
import { type DagIssue, quoted } from './errors';
import type { DagIndex } from './types';

/** What the check reads of a DAG: each task's id and agent (a `Dag` is one). */
export interface AgentsOfTasks {
  readonly size: number;
  readonly index: Pick<DagIndex, 'agentCodes' | 'agentNames' | 'ids'>;
}

/** Tasks named in a message before "and N more". */
const TASKS_SHOWN = 3;

export interface UnknownAgentOptions {
  /** First task to check (default 0); e.g. `dag.size` before spawning, to check only the spawned tasks. */
  readonly fromTask?: number;
  /** Path of the issue for an unknown name, from the first task using it (default `['tasks', task, 'agent']`). */
  readonly pathOf?: (task: number) => (string | number)[];
}

/**
 * One issue per agent name that `hasAgent` rejects, in order of first use among the tasks
 * checked, at the path of the first task using it.
 *
 * @example
 * unknownAgentIssues(dag, (name) => name in agents, Object.keys(agents))
 * // [{ path: ['tasks', 2, 'agent'], code: 'unknown-agent',
 * //    message: 'unknown agent "gpt" (used by "c"); known agents: "fn"' }]
 */
export function unknownAgentIssues(
  dag: AgentsOfTasks,
  hasAgent: (name: string) => boolean,
  knownAgents: readonly string[],
  options: UnknownAgentOptions = {},
): DagIssue[] {
  const { fromTask = 0, pathOf = (task: number) => ['tasks', task, 'agent'] } = options;
  const { agentCodes, agentNames, ids } = dag.index;
  // per agent code: undefined = not asked yet, null = known, else the tasks using it (so hasAgent runs once per name)
  const usersOf: ({ first: number[]; count: number } | null | undefined)[] = new Array(agentNames.length);
  const unknownCodes: number[] = [];
  for (let task = fromTask; task < dag.size; task++) {
    const code = agentCodes[task]!;
    let users = usersOf[code];
    if (users === undefined) {
      users = usersOf[code] = hasAgent(agentNames[code]!) ? null : { first: [], count: 0 };
      if (users !== null) unknownCodes.push(code);
    }
    if (users === null) continue;
    if (users.count++ < TASKS_SHOWN) users.first.push(task);
  }
  const known = knownAgents.length === 0 ? 'none' : knownAgents.map(quoted).join(', ');
  return unknownCodes.map((code) => {
    const { first, count } = usersOf[code]!;
    const names = first.map((task) => quoted(ids[task]!)).join(', ') + (count > TASKS_SHOWN ? ` and ${count - TASKS_SHOWN} more` : '');
    return {
      path: pathOf(first[0]!),
      code: 'unknown-agent' as const,
      message: `unknown agent ${quoted(agentNames[code]!)} (used by ${names}); known agents: ${known}`,
    };
  });
}
