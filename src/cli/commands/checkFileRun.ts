/**
 * What the library says of a DAG file's run before it starts (its options, the agents and limits
 * the tasks name) as problems placed in the file, in the CLI's words (`--concurrency`, not the
 * library's `maxConcurrency`): for `validate`, which has `loadDagFile` make these checks with
 * the file's own, and for `run`, whose run is created later. Creates and runs nothing.
 */
import type { Dag } from '../../dag/defineDag';
import { type DagIssue, DagValidationError } from '../../dag/errors';
import { checkRun } from '../../scheduler/runCheck';
import type { LimitSpec } from '../../scheduler/limits';
import type { AgentDefinition } from '../../agents/agentSpec';
import type { LoadedDag } from '../dagFile/loadDagFile';
import { InvalidInputError } from '../problems';

/**
 * The check `rxdag run` makes of a run of the file with `agents` and `maxConcurrency` (the
 * library's default when `undefined`), as `loadDagFile`'s `checkRun` option: the issues it
 * finds, in the CLI's words. A bad option is thrown as an {@link InvalidInputError}.
 */
export function fileRunCheck(
  agents: Readonly<Record<string, AgentDefinition>>,
  maxConcurrency: number | undefined,
): (dag: Dag, limits: Readonly<Record<string, LimitSpec>>) => DagIssue[] {
  return (dag, limits) => {
    try {
      checkRun(dag, { limits, agents, ...(maxConcurrency === undefined ? {} : { maxConcurrency }) });
      return [];
    } catch (error) {
      if (error instanceof DagValidationError) return error.issues.map(inCliWords);
      if (error instanceof TypeError) throw new InvalidInputError([{ message: error.message }]);
      throw error;
    }
  };
}

/** The library's complaint about a run of `loaded` as the CLI's invalid input (exit 2); other errors as they are. */
export function asInputError(loaded: LoadedDag, error: unknown): unknown {
  if (error instanceof DagValidationError) return new InvalidInputError(loaded.problemsOf(error.issues.map(inCliWords)));
  if (error instanceof TypeError) return new InvalidInputError([{ message: error.message }]);
  return error;
}

/** The library names the run's option; the command line sets it with `-c`/`--concurrency`. */
const MAX_CONCURRENCY = /more than `maxConcurrency` (\d+)/;

/** An issue of the library as the command line says it: `--concurrency` for the run's `maxConcurrency`. */
export function inCliWords(issue: DagIssue): DagIssue {
  if (issue.code !== 'too-heavy' || !MAX_CONCURRENCY.test(issue.message)) return issue;
  return { ...issue, message: issue.message.replace(MAX_CONCURRENCY, 'more than the concurrency $1 (`-c`/`--concurrency`)') };
}
