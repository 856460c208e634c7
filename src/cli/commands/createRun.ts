import { DagValidationError, runDag, type DagRun, type SchedulerOptions } from '../../index';
import { type BuiltinAgents, builtinAgents } from '../agents/builtinAgents';
import type { LoadedDag } from '../dagFile/loadDagFile';
import { InvalidInputError } from '../problems';

/** A run of a DAG file, not started yet, with the process groups its shell tasks will use. */
export interface PreparedRun extends BuiltinAgents {
  readonly run: DagRun;
}

/**
 * Creates the run with the CLI's agents. The library checks options and agent names here,
 * before anything starts: its complaints become problems placed in the file (exit 2).
 */
export function createRun(loaded: LoadedDag, options: Omit<SchedulerOptions, 'agents'>, killGraceMs: number): PreparedRun {
  const builtins = builtinAgents(killGraceMs);
  try {
    return { ...builtins, run: runDag(loaded.dag, { ...options, agents: builtins.agents }) };
  } catch (error) {
    if (error instanceof DagValidationError) throw new InvalidInputError(loaded.problemsOf(error.issues));
    if (error instanceof TypeError) throw new InvalidInputError([{ message: error.message }]);
    throw error;
  }
}
