/**
 * Runs of the store that a program made with the library, told apart from the command line's by
 * the agents their tasks name: the command line has only its own (`shell` for `run:`, `sleep`
 * for `sleep:`, here and on its workers), a program gives any it likes (`llm`). Such a run
 * cannot be resumed here: its agents are in the program. It reads nothing: the command does.
 */
import type { DagEvent, JournalHeader, TaskSpec } from '../../index';
import { quoted } from '../../dag/text';
import { SHELL_AGENT } from '../agents/shellAgent';
import { SLEEP_AGENT } from '../agents/sleepAgent';

/** The agents the command line runs tasks on. */
export const CLI_AGENTS: readonly string[] = [SHELL_AGENT, SLEEP_AGENT];

/** Agents named in a refusal before "and N more". */
const AGENTS_SHOWN = 4;

/**
 * The agents a journaled run's tasks name that the command line does not have, in order of
 * first use: those of its DAG (a task's own, else the DAG's default), and with `history`, those
 * of the tasks it spawned. `[]` for a run the command line can run.
 *
 * @example
 * agentsMissingFromCli(header) // ['llm']
 */
export function agentsMissingFromCli(header: JournalHeader, history: readonly DagEvent[] = []): string[] {
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
 * Why run `runId`, whose tasks name the agents `missing`, is not the command line's to resume,
 * and where it is resumed instead.
 *
 * @example
 * programRunRefusal('drafts-1', ['llm'])
 * // 'run "drafts-1" uses agents the command line does not have (llm): it was made by a program; resume it there with resumeRun(journal, "drafts-1", { agents })'
 */
export function programRunRefusal(runId: string, missing: readonly string[]): string {
  const more = missing.length - AGENTS_SHOWN;
  const agents = more > 1 ? `${missing.slice(0, AGENTS_SHOWN).join(', ')} and ${more} more` : missing.join(', ');
  return `run ${quoted(runId)} uses agents the command line does not have (${agents}): it was made by a program; resume it there with resumeRun(journal, ${JSON.stringify(runId)}, { agents })`;
}
