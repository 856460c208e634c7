import type { Agent } from '../../index';
import { ProcessGroups } from './processGroups';
import { createShellAgent, SHELL_AGENT } from './shellAgent';
import { SLEEP_AGENT, sleepAgent } from './sleepAgent';

/** The agents a DAG file can name, and the process groups the shell agent started. */
export interface BuiltinAgents {
  readonly agents: Readonly<Record<string, Agent>>;
  readonly groups: ProcessGroups;
}

/**
 * The CLI's agents: `shell` (for `run:`) and `sleep` (for `sleep:`).
 * `killGraceMs` is how long a stopped shell task gets between SIGTERM and SIGKILL.
 */
export function builtinAgents(killGraceMs: number): BuiltinAgents {
  const groups = new ProcessGroups(killGraceMs);
  return { agents: { [SHELL_AGENT]: createShellAgent({ groups }), [SLEEP_AGENT]: sleepAgent }, groups };
}
