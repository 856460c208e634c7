/**
 * What the library says of a DAG file's run before it starts (its options, the agents and limits
 * the tasks name) as problems placed in the file: for `run`, which creates the run, and for
 * `validate`, which only checks it without loading the scheduler. Creates and runs nothing.
 */
import { DagValidationError } from '../../dag/errors';
import { checkRun } from '../../scheduler/runCheck';
import type { AgentDefinition } from '../../agents/agentSpec';
import type { LoadedDag } from '../dagFile/loadDagFile';
import { InvalidInputError } from '../problems';

/** Checks the run `rxdag run` would create of `loaded` with `agents`; throws its problems as an {@link InvalidInputError}. */
export function checkFileRun(loaded: LoadedDag, agents: Readonly<Record<string, AgentDefinition>>): void {
  try {
    checkRun(loaded.dag, { limits: loaded.limits, agents });
  } catch (error) {
    throw asInputError(loaded, error);
  }
}

/** The library's complaint about a run of `loaded` as the CLI's invalid input (exit 2); other errors as they are. */
export function asInputError(loaded: LoadedDag, error: unknown): unknown {
  if (error instanceof DagValidationError) return new InvalidInputError(loaded.problemsOf(error.issues));
  if (error instanceof TypeError) return new InvalidInputError([{ message: error.message }]);
  return error;
}
