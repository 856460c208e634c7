import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DagEvent } from '../../../src/index';

/** A fresh temporary folder, and a function that removes it. */
export function tempDir(): { readonly dir: string; readonly file: (name: string) => string; readonly remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rxdag-cli-spec-'));
  return { dir, file: (name) => path.join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A folder no one but root may enter (mode 0000), with a folder inside it, under a new folder of
 * `os.tmpdir()` open to others (so another user reaches the shut one), and a function that opens
 * and removes them. For reads made {@link asAnotherUser}.
 */
export function shutFolders(): { readonly shut: string; readonly inside: string; readonly remove: () => void } {
  const base = mkdtempSync(path.join(os.tmpdir(), 'rxdag-cli-spec-shut-'));
  chmodSync(base, 0o755);
  const shut = path.join(base, 'shut');
  const inside = path.join(shut, 'inside');
  mkdirSync(inside, { recursive: true });
  chmodSync(shut, 0o000);
  return {
    shut,
    inside,
    remove: () => {
      chmodSync(shut, 0o700);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Writes a file and returns its path. */
export function writeText(file: string, text: string): string {
  writeFileSync(file, text);
  return file;
}

/** The events of an events log (one JSON object per line). */
export function readEventLog(file: string): DagEvent[] {
  return eventsOf(readFileSync(file, 'utf8'));
}

function eventsOf(text: string): DagEvent[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as DagEvent);
}

/**
 * The events of an events log a running command is still writing: none while the file is not
 * there (the command's start checks create and remove it), and its complete lines only.
 */
export function eventsSoFar(file: string): DagEvent[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return eventsOf(text.slice(0, text.lastIndexOf('\n') + 1));
}

/** The pids a fixture's tasks wrote to their PID_FILE. */
export function readPids(file: string): number[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number);
}

/**
 * Whether a process is running. A zombie is not: where PID 1 does not reap orphans, killed
 * grandchildren stay zombies, dead but listed.
 */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
