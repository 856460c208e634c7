import type { Agent } from '../../index';
import { ProcessGroups } from './processGroups';
import { createShellAgent, SHELL_AGENT } from './shellAgent';
import { SLEEP_AGENT, sleepAgent } from './sleepAgent';
import type { TaskLogs } from './taskLogs';

/** The agents a DAG file can name, and the process groups the shell agent started. */
export interface BuiltinAgents {
  readonly agents: Readonly<Record<string, Agent>>;
  readonly groups: ProcessGroups;
}

/**
 * The CLI's agents: `shell` (for `run:`) and `sleep` (for `sleep:`).
 * `killGraceMs` is how long a stopped shell task gets between SIGTERM and SIGKILL; `logs`, where
 * shell attempts write their whole output (`--logs`), if anywhere.
 */
export function builtinAgents(killGraceMs: number, logs?: TaskLogs): BuiltinAgents {
  const groups = new ProcessGroups(killGraceMs);
  const shell = createShellAgent({ groups, ...(logs === undefined ? {} : { logs }) });
  return { agents: { [SHELL_AGENT]: shell, [SLEEP_AGENT]: sleepAgent }, groups };
}
