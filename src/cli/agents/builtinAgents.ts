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

/** How a command's shell tasks run, besides the grace they get. */
export interface ShellTaskOptions {
  /** Where shell attempts write their whole output (`--logs`). @default none */
  readonly logs?: TaskLogs;
  /** Variables kept from the tasks besides the CLI's own secrets: those the command's store reads a secret from. @default none */
  readonly hiddenVariables?: readonly string[];
  /** On a worker: how long a task the system has no room to start waits before it is handed back to the queue. @default none */
  readonly handBackAfterMs?: number;
}

/**
 * The CLI's agents: `shell` (for `run:`) and `sleep` (for `sleep:`).
 * `killGraceMs` is how long a stopped shell task gets between SIGTERM and SIGKILL.
 */
export function builtinAgents(killGraceMs: number, options: ShellTaskOptions = {}): BuiltinAgents {
  const groups = new ProcessGroups(killGraceMs);
  const shell = createShellAgent({ groups, ...options });
  return { agents: { [SHELL_AGENT]: shell, [SLEEP_AGENT]: sleepAgent }, groups };
}
