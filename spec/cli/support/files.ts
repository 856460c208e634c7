import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DagEvent } from '../../../src/index';

/** A fresh temporary folder, and a function that removes it. */
export function tempDir(): { readonly dir: string; readonly file: (name: string) => string; readonly remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rxdag-cli-spec-'));
  return { dir, file: (name) => path.join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a file and returns its path. */
export function writeText(file: string, text: string): string {
  writeFileSync(file, text);
  return file;
}

/** The events of an events log (one JSON object per line). */
export function readEventLog(file: string): DagEvent[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as DagEvent);
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
