import { liveMembers } from './processTable';

/**
 * The processes of a shell task, found and signalled together. A task's shell leads a session
 * of its own (spawned `detached`), and its process group: one kill of the group reaches what it
 * started. A command may make groups of its own inside that session (coreutils `timeout`, jobs
 * under `set -m`); on Linux those are found through /proc (the session of each process) and
 * signalled too. Only a process that made a session of its own (`setsid`, a daemon) is left
 * alone. Elsewhere, the group alone is what a task is.
 */

/**
 * Signals every process of the task led by `leader` that this process may signal: its group, and
 * with `session` the groups made inside its session (one read of /proc: a stop's, not every
 * task's end); false when none was reached.
 */
export function signalTaskProcesses(leader: number, signal: NodeJS.Signals, session: boolean, since: number): boolean {
  let reached = signalled(-leader, signal);
  if (session) for (const group of strayGroups(leader, since)) reached = signalled(-group, signal) || reached;
  return reached;
}

/**
 * Whether any live process of the task led by `leader` is left.
 *
 * `kill(-pgid, 0)` alone is not enough: it also succeeds for zombies, and where PID 1 does not
 * reap orphans (minimal containers) the orphaned grandchildren of a killed task stay zombies
 * forever. On Linux the task's processes are read from /proc and zombies are not counted.
 */
export function taskProcessesAlive(leader: number, session: boolean, since: number): boolean {
  // a group the system no longer has holds no process, not even a zombie: no need to read /proc
  if (!session && groupGone(leader)) return false;
  const members = liveMembers(leader, session, since);
  return members === undefined ? signalled(-leader, 0) : members.length > 0;
}

/** The process groups the task made inside its session, other than its own. */
function strayGroups(leader: number, since: number): Set<number> {
  const groups = new Set<number>();
  for (const member of liveMembers(leader, true, since) ?? []) if (member.pgrp !== leader) groups.add(member.pgrp);
  return groups;
}

/**
 * `kill(target, signal)`; false when no such process (or group) is left, or none of it may be
 * signalled by this process (another user's: a task's `sudo`).
 */
function signalled(target: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH' || code === 'EPERM') return false;
    throw error;
  }
}

/** Whether the system has no process group `leader` (ESRCH; one of another user's processes, EPERM, is there). */
function groupGone(leader: number): boolean {
  try {
    process.kill(-leader, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
