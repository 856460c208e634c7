/**
 * `rxdag validate FILE`: the checks `rxdag run` makes before it starts, made by the same code
 * (`loadDagFile`: the file, its values, graph and working directories; `checkFileRun`: the agents
 * and options, as `createRun` has them checked), and a one-line summary of a valid DAG. Runs
 * nothing, writes no file, and loads no scheduler.
 */
import type { Dag } from '../../index';
import { loadDagFile } from '../dagFile/loadDagFile';
import { ExitCode } from '../exitCodes';
import { builtinAgents } from '../agents/builtinAgents';
import type { CliIo } from './cliIo';
import { checkFileRun } from './checkFileRun';

/**
 * `rxdag validate FILE`: every check `run` makes, without running anything. Prints a one-line
 * summary and exits 0, or (through `InvalidInputError`) every problem and exits 2.
 * `run`'s own options are not checked here: `validate` takes none.
 */
export function validateCommand(file: string, io: CliIo): number {
  const loaded = loadDagFile(file);
  checkFileRun(loaded, builtinAgents(0).agents);
  io.stdout.write(`${file}: ${describeDag(loaded.dag)}\n`);
  return ExitCode.ok;
}

/** e.g. `DAG "release" is valid: 9 tasks (7 shell, 2 sleep), 11 dependencies, longest chain 5 tasks` */
export function describeDag(dag: Dag): string {
  // read from the DAG's flat index: `dag.tasks` would build an object per task
  const { agentCodes, agentNames, deps } = dag.index;
  const n = dag.size;
  const perAgent = new Array<number>(agentNames.length).fill(0);
  for (let i = 0; i < n; i++) perAgent[agentCodes[i]!]!++;
  const byAgent = agentNames
    .map((agent, code) => [agent, perAgent[code]!] as const)
    .filter(([, count]) => count > 0)
    .map(([agent, count]) => `${count} ${agent}`)
    .join(', ');
  const edges = deps.start[n]!;
  const chain = longestChain(dag);
  return `DAG "${dag.id}" is valid: ${n} task${n === 1 ? '' : 's'}${n === 0 ? '' : ` (${byAgent})`}, ${edges} dependenc${edges === 1 ? 'y' : 'ies'}, longest chain ${chain} task${chain === 1 ? '' : 's'}`;
}

/** Tasks on the longest dependency chain, along the DAG's topological order. */
function longestChain(dag: Dag): number {
  const { topologicalOrder, deps } = dag.index;
  const depth = new Int32Array(dag.size);
  let longest = 0;
  for (const i of topologicalOrder) {
    let deepest = 0;
    for (let e = deps.start[i]!; e < deps.start[i + 1]!; e++) deepest = Math.max(deepest, depth[deps.targets[e]!]!);
    depth[i] = deepest + 1;
    longest = Math.max(longest, depth[i]!);
  }
  return longest;
}
