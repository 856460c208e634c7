/**
 * Runs of the store that a program made with the library, told apart from the command line's:
 * `rxdag run` marks each run it makes in the run's `metadata` (`madeBy`), and a run without the
 * mark is a program's, whatever its agents are called (a program may name its own `shell`).
 * Journals written before the mark are the command line's when they look it: every task on its
 * own agents (`shell` for `run:`, `sleep` for `sleep:`) with the input it writes. Such a run
 * cannot be resumed here: its agents are in the program. It reads nothing: the command does.
 */
import type { DagEvent, JournalHeader, TaskSpec } from '../../index';
import { quoted } from '../../dag/text';
import { SHELL_AGENT } from '../agents/shellAgent';
import { SLEEP_AGENT } from '../agents/sleepAgent';

/** The agents the command line runs tasks on. */
export const CLI_AGENTS: readonly string[] = [SHELL_AGENT, SLEEP_AGENT];

/** The key of a run's `metadata` that says who made the run. */
export const MADE_BY_KEY = 'madeBy';

/** Its value in every run `rxdag run` makes. */
const MADE_BY_CLI = 'rxdag run';

/** The mark `rxdag run` keeps in the `metadata` of each run it makes (and `rxdag resume` in that of each resume). */
export const CLI_MARK: Readonly<Record<string, string>> = { [MADE_BY_KEY]: MADE_BY_CLI };

/** Whether `metadata` bears the command line's {@link CLI_MARK}. */
export function markedByCli(metadata: Readonly<Record<string, unknown>> | undefined): boolean {
  return metadata?.[MADE_BY_KEY] === MADE_BY_CLI;
}

/** Agents named in a refusal before "and N more". */
const AGENTS_SHOWN = 4;

/**
 * Why the command line cannot resume run `runId` (a program made it), in one line that says
 * where to resume it instead; `undefined` for a run the command line made. `history`, when
 * given, adds the agents of the tasks the run spawned.
 *
 * @example
 * programRunProblem('drafts-1', header)
 * // 'run "drafts-1" uses agents the command line does not have (llm): it was made by a program; resume it there with resumeRun(journal, "drafts-1", { agents })'
 */
export function programRunProblem(runId: string, header: JournalHeader, history: readonly DagEvent[] = []): string | undefined {
  const there = `resume it there with resumeRun(journal, ${JSON.stringify(runId)}, { agents })`;
  const missing = agentsMissingFromCli(header, history);
  if (missing.length > 0) {
    const more = missing.length - AGENTS_SHOWN;
    const agents = more > 1 ? `${missing.slice(0, AGENTS_SHOWN).join(', ')} and ${more} more` : missing.join(', ');
    return `run ${quoted(runId)} uses agents the command line does not have (${agents}): it was made by a program; ${there}`;
  }
  const { metadata } = header.options;
  if (markedByCli(metadata) || (metadata?.[MADE_BY_KEY] === undefined && writtenByEarlierCli(header, history))) return undefined;
  return (
    `run ${quoted(runId)} has no mark of rxdag run in its record, though its agents have the command line's names: ` +
    `a program made it (${there}), or an rxdag older than this one did, from tasks other than run: and sleep: (run its DAG file again)`
  );
}

/**
 * The agents a journaled run's tasks name that the command line does not have, in order of
 * first use: those of its DAG (a task's own, else the DAG's default), and those of the tasks it
 * spawned. `[]` for a run on the command line's agents.
 */
function agentsMissingFromCli(header: JournalHeader, history: readonly DagEvent[]): string[] {
  const missing = new Set<string>();
  const fallback = header.spec.defaults?.agent;
  const see = (task: TaskSpec) => {
    const agent = task.agent ?? fallback;
    // a task without one is the DAG check's to refuse
    if (typeof agent === 'string' && !CLI_AGENTS.includes(agent)) missing.add(agent);
  };
  for (const task of header.spec.tasks) see(task);
  for (const event of history) if (event.type === 'tasks.spawned') for (const task of event.tasks) see(task);
  return [...missing];
}

/**
 * Whether a run without a `madeBy` is one an earlier `rxdag run` made: its tasks are all as a DAG file's
 * `run:` and `sleep:` become (`{ command, cwd, env }` to `shell`, a number to `sleep`), and none
 * was spawned (the command line's agents spawn nothing).
 */
function writtenByEarlierCli(header: JournalHeader, history: readonly DagEvent[]): boolean {
  if (history.some((event) => event.type === 'tasks.spawned')) return false;
  return header.spec.tasks.every((task) => (task.agent === SLEEP_AGENT ? typeof task.input === 'number' : isFileShellInput(task.input)));
}

/** `{ command, cwd, env }`, exactly: the input a DAG file's `run:` becomes. */
function isFileShellInput(input: unknown): boolean {
  if (typeof input !== 'object' || input === null) return false;
  const { command, cwd, env, ...rest } = input as Record<string, unknown>;
  return (
    typeof command === 'string' &&
    typeof cwd === 'string' &&
    typeof env === 'object' &&
    env !== null &&
    !Array.isArray(env) &&
    Object.keys(rest).length === 0
  );
}
