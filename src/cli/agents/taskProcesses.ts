import { readdirSync, readFileSync } from 'node:fs';

/**
 * The processes of a shell task, found and signalled together. A task's shell leads a session
 * of its own (spawned `detached`), and its process group: one kill of the group reaches what it
 * started. A command may make groups of its own inside that session (coreutils `timeout`, jobs
 * under `set -m`); on Linux those are found through /proc (the session of each process) and
 * signalled too. Only a process that made a session of its own (`setsid`, a daemon) is left
 * alone. Elsewhere, the group alone is what a task is.
 */

/** Signals every process of the task led by `leader`; false when none is left. */
export function signalTaskProcesses(leader: number, signal: NodeJS.Signals): boolean {
  let reached = signalled(-leader, signal);
  for (const pid of strayMembers(leader)) reached = signalled(pid, signal) || reached;
  return reached;
}

/**
 * Whether any live process of the task led by `leader` is left.
 *
 * `kill(-pgid, 0)` alone is not enough: it also succeeds for zombies, and where PID 1 does not
 * reap orphans (minimal containers) the orphaned grandchildren of a killed task stay zombies
 * forever. On Linux the task's processes are read from /proc and zombies are not counted.
 */
export function taskProcessesAlive(leader: number): boolean {
  const members = liveMembers(leader);
  return members === undefined ? signalled(-leader, 0) : members.length > 0;
}

/** The task's processes outside its own group (in groups it made inside its session). */
function strayMembers(leader: number): number[] {
  return (liveMembers(leader) ?? []).filter((member) => member.pgrp !== leader).map((member) => member.pid);
}

interface Member {
  readonly pid: number;
  readonly pgrp: number;
}

/** Live processes in the task's group or session, from /proc; undefined where there is none. */
function liveMembers(leader: number): Member[] | undefined {
  if (process.platform !== 'linux') return undefined;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined; // no /proc: trust kill(2)
  }
  const members: Member[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat === undefined || stat.state === 'Z' || stat.state === 'X') continue;
    if (stat.pgrp === leader || stat.session === leader) members.push({ pid: Number(entry), pgrp: stat.pgrp });
  }
  return members;
}

/** `kill(target, signal)`; false when no such process (or group) is left. */
function signalled(target: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** State, process group and session from /proc/PID/stat; the name in parentheses may hold spaces. */
function readStat(pid: string): { state: string; pgrp: number; session: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, pgrp: Number(fields[2]), session: Number(fields[3]) };
  } catch {
    return undefined; // it exited while we looked
  }
}
