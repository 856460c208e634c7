import { type AgentDefinition, runDag, type DagRun, type SchedulerOptions } from '../../index';
import { type BuiltinAgents, builtinAgents } from '../agents/builtinAgents';
import { ProcessGroups } from '../agents/processGroups';
import type { LoadedDag } from '../dagFile/loadDagFile';
import { asInputError } from './checkFileRun';

/** A run of a DAG file, not started yet, with the process groups its shell tasks will use. */
export interface PreparedRun {
  readonly run: DagRun;
  /** Empty with remote agents: their shell tasks run on workers. */
  readonly groups: BuiltinAgents['groups'];
}

/**
 * Creates the run with the CLI's agents, or with `remote` agents (`--redis`: no local process
 * group then). The library checks options and agent names here, before anything starts: its
 * complaints become problems placed in the file (exit 2).
 */
export function createRun(
  loaded: LoadedDag,
  options: Omit<SchedulerOptions, 'agents'>,
  killGraceMs: number,
  remote?: Readonly<Record<string, AgentDefinition>>,
): PreparedRun {
  const { agents, groups } = remote === undefined ? builtinAgents(killGraceMs) : { agents: remote, groups: new ProcessGroups(killGraceMs) };
  try {
    return { groups, run: runDag(loaded.dag, { limits: loaded.limits, ...options, agents }) };
  } catch (error) {
    throw asInputError(loaded, error);
  }
}
