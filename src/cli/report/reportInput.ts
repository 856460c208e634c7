/**
 * What a report is built from, as the commands that write one hand it over. Types and the
 * DAG's dependencies by task id only: it reads no file and draws nothing.
 */
import type { Dag, DagEvent } from '../../index';
import type { RunSetup } from '../output/runSetup';

/**
 * What a report is built from: the events of one run, and the DAG's dependencies when known.
 * Events alone do not carry the edges (`dag.created` has no deps): `rxdag run --report` passes
 * the DAG it ran, `rxdag report --dag FILE` reads them from the DAG file, and without either the
 * report infers "unblocked by" edges from the order of events, and says so.
 */
export interface ReportInput {
  readonly events: readonly DagEvent[];
  /** Dependencies of each task by id. */
  readonly deps?: Readonly<Record<string, readonly string[]>>;
  /** The file the run came from, shown in the header. */
  readonly source?: string;
  /** The command that shows the run from its journal (`rxdag show ID --store …`), when it is journaled. */
  readonly showCommand?: string;
  /** An events log of the run (the one `rxdag report` reads, the one `run --events` writes): a large run's report says every task is in it. */
  readonly eventsLog?: string;
  /** The run's limits and what each task asked of them, when known (from the DAG file or the journal). */
  readonly setup?: RunSetup;
  /**
   * The run's concurrency (`-c`), when known. Without it the report never says a task waited
   * because the run was full: only that it started when an attempt ended, the run as busy as it
   * ever was.
   */
  readonly maxConcurrency?: number;
  /**
   * The run was still going when the report was written (`rxdag show` of a run a live process
   * owns): the wall-clock ms it was written at. Without `dag.completed` the run is then
   * `unfinished`, not `interrupted`, and its attempts in flight had run until then.
   */
  readonly stillRunningAt?: number;
}

/** The dependencies of a defined DAG, by task id. */
export function depsOf(dag: Dag): Record<string, readonly string[]> {
  return Object.fromEntries(dag.tasks.map((task) => [task.id, task.deps]));
}
