/**
 * `rxdag validate FILE [-c N]`: the checks `rxdag run` makes before it starts, made by the same
 * code, in one pass (`loadDagFile`: the file, its values, graph and working directories, and,
 * through `fileRunCheck`, the agents and the room for each task's weight, as `createRun` has them
 * checked), and a one-line summary of a valid DAG. `-c` is read as `run` reads it: a file
 * `run -c N` accepts passes `validate -c N`. Runs nothing, writes no file, and loads no scheduler.
 */
import type { Dag } from '../../index';
import { loadDagFile } from '../dagFile/loadDagFile';
import { ExitCode } from '../exitCodes';
import { builtinAgents } from '../agents/builtinAgents';
import type { CliIo } from './cliIo';
import { fileRunCheck } from './checkFileRun';
import { resolveRunOptions } from './runOptions';
import { escapeControls } from '../../dag/text';
import { shellTaskWarnings } from '../dagFile/shellTaskWarnings';

/** `rxdag validate` options as commander hands them over. */
export interface RawValidateOptions {
  /** `-c, --concurrency N`: the run's concurrency the tasks' weights are checked against (`run`'s default: 8). */
  readonly concurrency?: string;
}

/**
 * `rxdag validate FILE`: every check `run` makes, without running anything. Prints a one-line
 * summary and exits 0, or (through `InvalidInputError`) every problem and exits 2. Of `run`'s
 * options only `-c` changes what a file may hold; the others are not taken.
 */
export function validateCommand(file: string, raw: RawValidateOptions, io: CliIo): number {
  const { maxConcurrency } = resolveRunOptions({ concurrency: raw.concurrency }, false);
  const loaded = loadDagFile(file, { checkRun: fileRunCheck(builtinAgents(0).agents, maxConcurrency), warnOfEnv: true });
  // escaped: a file name may hold terminal controls
  io.stdout.write(`${escapeControls(file)}: ${describeDag(loaded.dag)}\n`);
  for (const warning of shellTaskWarnings(loaded.spec)) io.stderr.write(`rxdag: warning: ${escapeControls(warning)}\n`);
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
