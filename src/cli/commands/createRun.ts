/**
 * Creates the run of a DAG file with the CLI's agents (or remote ones), not started yet. A
 * journaled run gets a new id (`runId.ts`), and another each time the store, when the run
 * starts, already holds the one drawn (nothing ran then). It does not start the run nor show it
 * (`driveRun.ts` does).
 */
import { Subject, takeWhile } from 'rxjs';
import { type AgentDefinition, type DagEvent, runDag, RunExistsError, type SchedulerOptions } from '../../index';
import { RunEvents } from '../../scheduler/dagRun';
import { type BuiltinAgents, builtinAgents, type ShellTaskOptions } from '../agents/builtinAgents';
import { ProcessGroups } from '../agents/processGroups';
import type { LoadedDag } from '../dagFile/loadDagFile';
import { asInputError } from './checkFileRun';

/** A run of a DAG file, not started yet, with the process groups its shell tasks will use. */
export interface PreparedRun {
  readonly run: RunEvents;
  /** Empty with remote agents: their shell tasks run on workers. */
  readonly groups: BuiltinAgents['groups'];
}

/** A journaled run of a DAG file, not started yet, and the id it has. */
export interface JournaledPreparedRun extends PreparedRun {
  /** The id of the run: the last one drawn (another is drawn when the store holds one). */
  runId(): string;
}

/** Ids a journaled run draws before it gives up: the store holds one only when a run of the DAG drew it in the same minute. */
export const RUN_ID_DRAWS = 5;

/**
 * The store held every id a new run drew: nothing ran. A `RunExistsError` of the last id, whose
 * message says what happened rather than how a library user picks an id.
 */
export class RunIdsTakenError extends RunExistsError {
  constructor(runId: string, draws: number) {
    super(runId);
    this.message = `the store already holds each of the ${draws} run ids drawn for the new run (the last: "${runId}"); nothing ran, run it again`;
  }
}

/**
 * Creates the run with the CLI's agents (their shell tasks run as `shell` says), or
 * with `remote` agents (`--redis`: no local process group then). The library checks options and agent names here, before anything starts: its
 * complaints become problems placed in the file (exit 2).
 */
export function createRun(
  loaded: LoadedDag,
  options: Omit<SchedulerOptions, 'agents'>,
  killGraceMs: number,
  remote?: Readonly<Record<string, AgentDefinition>>,
  shell?: ShellTaskOptions,
): PreparedRun {
  const { agents, ...local } = agentsOf(killGraceMs, remote, shell);
  return { ...local, run: checkedRun(loaded, { ...options, agents }) };
}

/**
 * {@link createRun} for a run journaled into `options.journal` under an id from `drawId`. The
 * id is drawn now; when the journal refuses it as one it holds (`RunExistsError`, before
 * anything ran), the run is made again under a new id, up to {@link RUN_ID_DRAWS} ids, then
 * fails with a {@link RunIdsTakenError}. Its `events$` carry the events of the run made last,
 * also after its subscriber left (a cancelled run's last events come that way).
 *
 * @example
 * const { run, runId } = createJournaledRun(loaded, { journal }, 5000, () => newRunId(loaded.dag.id));
 */
export function createJournaledRun(
  loaded: LoadedDag,
  options: Omit<SchedulerOptions, 'agents' | 'runId'>,
  killGraceMs: number,
  drawId: () => string,
  remote?: Readonly<Record<string, AgentDefinition>>,
  shell?: ShellTaskOptions,
): JournaledPreparedRun {
  const { agents, ...local } = agentsOf(killGraceMs, remote, shell);
  let runId = drawId();
  // the first run is made now, so that the library's complaints come before anything starts
  const first = checkedRun(loaded, { ...options, agents, runId });
  // the events of the run made last, for the listeners of the run's `events$`
  const relay = new Subject<DagEvent>();
  const run = new RunEvents(
    (subscriber) => {
      const start = (made: RunEvents, draws: number): void => {
        const relaying = made.events$
          .pipe(takeWhile((event) => event.type !== 'dag.completed', true))
          .subscribe((event) => relay.next(event));
        const started = made.subscribe({
          next: (event) => subscriber.next(event),
          complete: () => subscriber.complete(),
          error: (error: unknown) => {
            if (!(error instanceof RunExistsError)) return subscriber.error(error);
            relaying.unsubscribe(); // nothing ran: no event will come
            if (draws === RUN_ID_DRAWS) return subscriber.error(new RunIdsTakenError(runId, draws));
            runId = drawId();
            start(checkedRun(loaded, { ...options, agents, runId }), draws + 1);
          },
        });
        // leaving the run cancels the one made last (a refused one is closed already)
        subscriber.add(started);
      };
      start(first, 1);
    },
    () => relay,
  );
  return { ...local, run, runId: () => runId };
}

/**
 * The agents of a run: the CLI's (their shell tasks run as `shell` says), or `remote` ones, with
 * the process groups of their shell tasks.
 */
function agentsOf(
  killGraceMs: number,
  remote: Readonly<Record<string, AgentDefinition>> | undefined,
  shell: ShellTaskOptions | undefined,
): Omit<PreparedRun, 'run'> & { readonly agents: Readonly<Record<string, AgentDefinition>> } {
  return remote === undefined ? builtinAgents(killGraceMs, shell) : { agents: remote, groups: new ProcessGroups(killGraceMs) };
}

/** The library's run of the DAG file, its complaints turned into problems placed in the file. */
function checkedRun(loaded: LoadedDag, options: SchedulerOptions): RunEvents {
  try {
    return runDag(loaded.dag, { limits: loaded.limits, ...options });
  } catch (error) {
    throw asInputError(loaded, error);
  }
}
