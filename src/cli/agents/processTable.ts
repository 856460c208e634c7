/**
 * The live processes of the system as /proc shows them (the group and session of each), read
 * once for every look within {@link FRESH_MS}: a stop of many tasks at once (a time limit that
 * ran out for all of them, a cancelled run) looks for each task's processes, and again while it
 * waits for them to end, and each read opens every process's stat file, holding the event loop
 * (the results of the other tasks then wait). Linux only; it signals and decides nothing.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** How long one read of /proc answers every look: the looks of a stop of many tasks come together. */
const FRESH_MS = 10;

/** A live process (not a zombie) and the group it is in. */
export interface Member {
  readonly pid: number;
  readonly pgrp: number;
}

interface Table {
  readonly begunAt: number;
  readonly readAt: number;
  readonly byGroup: Map<number, Member[]>;
  readonly bySession: Map<number, Member[]>;
}

let table: Table | undefined;

/**
 * The live processes in group `leader`, and with `session` in the session it leads; undefined
 * where /proc cannot tell (not Linux, no /proc, or a /proc of another pid namespace). A read
 * begun before `since` (when the group was made) is not used: it would miss the group.
 */
export function liveMembers(leader: number, session: boolean, since: number): Member[] | undefined {
  const now = Date.now();
  if (table === undefined || now - table.readAt > FRESH_MS || now < table.readAt || table.begunAt <= since) table = readTable();
  if (table === undefined) return undefined;
  const inGroup = table.byGroup.get(leader) ?? [];
  if (!session) return inGroup;
  const inSession = table.bySession.get(leader) ?? [];
  return [...inSession, ...inGroup.filter((member) => !inSession.includes(member))];
}

function readTable(): Table | undefined {
  if (process.platform !== 'linux' || !procIsOurs()) return undefined;
  const begunAt = Date.now();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined; // no /proc: trust kill(2)
  }
  const byGroup = new Map<number, Member[]>();
  const bySession = new Map<number, Member[]>();
  const add = (map: Map<number, Member[]>, key: number, member: Member) => {
    const list = map.get(key);
    if (list === undefined) map.set(key, [member]);
    else list.push(member);
  };
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat === undefined || stat.state === 'Z' || stat.state === 'X') continue;
    const member = { pid: Number(entry), pgrp: stat.pgrp };
    add(byGroup, stat.pgrp, member);
    add(bySession, stat.session, member);
  }
  // fresh from when it was read to its end: a read of many processes on a busy machine takes a while
  return { begunAt, readAt: Date.now(), byGroup, bySession };
}

/** Whether /proc shows this process's pids (it does not in a pid namespace that kept the host's /proc). */
let procOurs: boolean | undefined;
function procIsOurs(): boolean {
  if (procOurs === undefined) {
    try {
      procOurs = readlinkSync('/proc/self') === String(process.pid);
    } catch {
      procOurs = false;
    }
  }
  return procOurs;
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
