/**
 * What the library says of a DAG file's run before it starts (its options, the agents and limits
 * the tasks name) as problems placed in the file, in the CLI's words (`--concurrency`, not the
 * library's `maxConcurrency`): for `validate`, which has `loadDagFile` make these checks with
 * the file's own, and for `run`, whose run is created later. Creates and runs nothing.
 */
import type { Dag } from '../../dag/defineDag';
import { type DagIssue, DagValidationError } from '../../dag/errors';
import { type DagEvent, isTerminalEvent } from '../../events';
import type { JournalHeader } from '../../journal/journal';
import { checkRun, type TakesDefault } from '../../scheduler/runCheck';
import type { LimitSpec } from '../../scheduler/limits';
import type { AgentDefinition } from '../../agents/agentSpec';
import type { LoadedDag } from '../dagFile/loadDagFile';
import { InvalidInputError, type Problem } from '../problems';

/**
 * The check `rxdag run` makes of a run of the file with `agents` and `maxConcurrency` (the
 * library's default when `undefined`), as `loadDagFile`'s `checkRun` option: the issues it
 * finds, in the CLI's words. A bad option is thrown as an {@link InvalidInputError}. `mayStart`
 * leaves out the weights of tasks that will not start (a resumed run's ended tasks); the check's
 * `takesDefault` says which tasks leave a field to the defaults, as the file is written.
 */
export function fileRunCheck(
  agents: Readonly<Record<string, AgentDefinition>>,
  maxConcurrency: number | undefined,
  mayStart?: (task: number) => boolean,
): (dag: Dag, limits: Readonly<Record<string, LimitSpec>>, takesDefault?: TakesDefault) => DagIssue[] {
  return (dag, limits, takesDefault) => {
    try {
      checkRun(
        dag,
        { limits, agents, ...(maxConcurrency === undefined ? {} : { maxConcurrency }) },
        {
          concurrencyName: CONCURRENCY,
          ...(mayStart === undefined ? {} : { mayStart }),
          ...(takesDefault === undefined ? {} : { takesDefault }),
        },
      );
      return [];
    } catch (error) {
      if (error instanceof DagValidationError) return [...error.issues];
      if (error instanceof TypeError) throw new InvalidInputError([{ message: error.message }]);
      throw error;
    }
  };
}

/**
 * The library's complaint about a run of `loaded` as the CLI's invalid input (exit 2); other
 * errors as they are. A file is checked with {@link fileRunCheck} first, so what is left here
 * is what only the run's own agents tell (a remote agent's capacity).
 */
export function asInputError(loaded: LoadedDag, error: unknown): unknown {
  if (error instanceof DagValidationError) return new InvalidInputError(loaded.problemsOf(error.issues));
  if (error instanceof TypeError) return new InvalidInputError([{ message: error.message }]);
  return error;
}

/**
 * What `rxdag resume -c N` says of a journaled run before the library would refuse it in its own
 * words (`maxConcurrency`): the check of {@link fileRunCheck} with the run's journaled limits,
 * where a task that ended never starts again, so its weight does not count. Tasks spawned during
 * the run are left to the library.
 */
export function resumeRunProblems(
  dag: Dag,
  header: JournalHeader,
  history: readonly DagEvent[],
  agents: Readonly<Record<string, AgentDefinition>>,
  maxConcurrency: number,
): Problem[] {
  const ended = endedTasks(history);
  const check = fileRunCheck(agents, maxConcurrency, (task) => !ended.has(dag.index.ids[task]!));
  return check(dag, header.options.limits ?? {}).map((issue) => ({ message: issue.message }));
}

/** The tasks that ended for good in a journaled run's `history`: a resume starts none of them again. */
export function endedTasks(history: readonly DagEvent[]): Set<string> {
  const ended = new Set<string>();
  for (const event of history) if (isTerminalEvent(event)) ended.add(event.taskId);
  return ended;
}

/** The run's concurrency as the command line sets it. */
const CONCURRENCY = (limit: number): string => `the concurrency ${limit} (\`-c\`/\`--concurrency\`)`;
