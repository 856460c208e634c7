import type { Agent } from '../../index';
import { ProcessGroups } from './processGroups';
import { createShellAgent, SHELL_AGENT } from './shellAgent';
import { SLEEP_AGENT, sleepAgent } from './sleepAgent';
import type { TaskLogs } from './taskLogs';
import { TimedOutOutput } from './timedOutOutput';

/** The agents a DAG file can name, the process groups the shell agent started, and what its timed-out attempts had written. */
export interface BuiltinAgents {
  readonly agents: Readonly<Record<string, Agent>>;
  readonly groups: ProcessGroups;
  readonly timedOut: TimedOutOutput;
}

/**
 * The CLI's agents: `shell` (for `run:`) and `sleep` (for `sleep:`).
 * `killGraceMs` is how long a stopped shell task gets between SIGTERM and SIGKILL; `logs`, where
 * shell attempts write their whole output (`--logs`), if anywhere.
 */
export function builtinAgents(killGraceMs: number, logs?: TaskLogs): BuiltinAgents {
  const groups = new ProcessGroups(killGraceMs);
  const timedOut = new TimedOutOutput();
  const shell = createShellAgent({ groups, timedOut, ...(logs === undefined ? {} : { logs }) });
  return { agents: { [SHELL_AGENT]: shell, [SLEEP_AGENT]: sleepAgent }, groups, timedOut };
}
