import { readdirSync, readFileSync } from 'node:fs';

/**
 * Whether any live process is left in process group `pgid`.
 *
 * `kill(-pgid, 0)` alone is not enough: it also succeeds for zombies, and where PID 1 does not
 * reap orphans (minimal containers) the orphaned grandchildren of a killed task stay zombies
 * forever. On Linux the group's members are read from /proc and zombies are not counted.
 */
export function processGroupAlive(pgid: number): boolean {
  if (!signalReaches(pgid)) return false;
  if (process.platform !== 'linux') return true;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true; // no /proc: trust kill(2)
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') return true;
  }
  return false;
}

function signalReaches(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** State and process group from /proc/PID/stat; the name in parentheses may hold spaces. */
function readStat(pid: string): { state: string; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, pgrp: Number(fields[2]) };
  } catch {
    return undefined; // it exited while we looked
  }
}
