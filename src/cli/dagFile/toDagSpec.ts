/**
 * Turns a DAG file into the library's `DagSpec`: `run:` and `sleep:` become the built-in agents
 * with their input (a sleep's length is its `estimateMs` unless it gives one), the defaults are
 * applied. The file's `limits:` are not part of the spec: they are the run's option. Checks nothing (the file schema and `defineDag`
 * do) and reads even a file that failed them, so that every problem is reported in one pass.
 */
import path from 'node:path';
import type { DagSpec, TaskSpec } from '../../index';
import { MAX_TIMER_MS } from '../../dag/schema';
import { SHELL_AGENT, type ShellInput } from '../agents/shellAgent';
import { SLEEP_AGENT } from '../agents/sleepAgent';
import type { FileEnv, FileTask } from './fileSchema';

/** Fields a file task shares with the library's task spec, copied as written. */
const LIBRARY_TASK_FIELDS = ['id', 'deps', 'timeoutMs', 'retry', 'priority', 'estimateMs', 'weight', 'limits', 'when'] as const;
const LIBRARY_DEFAULT_FIELDS = ['timeoutMs', 'retry', 'priority', 'weight', 'limits'] as const;

/**
 * Turns a DAG file into the library's `DagSpec`: `run` becomes the `shell` agent with input
 * `{command, cwd, env}` (a relative `cwd` is resolved against the file's folder, the default
 * `cwd`), and `sleep` becomes the `sleep` agent with the milliseconds as input and, when the
 * task gives no `estimateMs`, as its estimate (a sleep takes what it says: the critical path
 * needs no hand-written estimate for it).
 *
 * `tasks` holds each task as parsed, or as written when it failed the file schema: it is still
 * handed to `defineDag` so that its other problems (unknown dependencies, cycles) are reported
 * in the same pass. The defaults are read as written too: their library fields go to
 * `defineDag` (which checks them), a `cwd` or `env` of the wrong type is left out (the file
 * schema reports it).
 */
export function toDagSpec(
  file: { readonly id?: unknown; readonly defaults?: unknown },
  tasks: readonly (FileTask | unknown)[],
  baseDir: string,
): DagSpec {
  const defaults = usableDefaults(file.defaults);
  const defaultsSpec = pick(defaults, LIBRARY_DEFAULT_FIELDS);
  const spec = {
    id: file.id,
    tasks: tasks.map((task) => toTaskSpec(task, defaults, baseDir)),
    ...(Object.keys(defaultsSpec).length > 0 ? { defaults: defaultsSpec } : {}),
  };
  // The fields are checked by defineDag, which takes a DagSpec and validates it at run time.
  return spec as DagSpec;
}

/** The defaults' fields `toDagSpec` can use: the library's as written, `cwd` and `env` when of the right type. */
interface UsableDefaults {
  readonly timeoutMs?: unknown;
  readonly retry?: unknown;
  readonly priority?: unknown;
  readonly weight?: unknown;
  readonly limits?: unknown;
  readonly cwd?: string;
  readonly env?: unknown;
}

function usableDefaults(defaults: unknown): UsableDefaults | undefined {
  if (typeof defaults !== 'object' || defaults === null || Array.isArray(defaults)) return undefined;
  const { timeoutMs, retry, priority, weight, limits, cwd, env } = defaults as Record<string, unknown>;
  return { timeoutMs, retry, priority, weight, limits, env, ...(typeof cwd === 'string' && cwd !== '' ? { cwd } : {}) };
}

function toTaskSpec(task: unknown, defaults: UsableDefaults | undefined, baseDir: string): TaskSpec {
  // not a task at all (`- null`, `- 5`, `- [a]`): handed on as written, the file schema reports it
  if (typeof task !== 'object' || task === null || Array.isArray(task)) return task as TaskSpec;
  const fileTask = task as Partial<FileTask>;
  const spec: Record<string, unknown> = pick(fileTask, LIBRARY_TASK_FIELDS);
  if (typeof fileTask.run === 'string') {
    const input: ShellInput = {
      command: fileTask.run,
      cwd: path.resolve(baseDir, defaults?.cwd ?? '.', typeof fileTask.cwd === 'string' && fileTask.cwd !== '' ? fileTask.cwd : '.'),
      env: { ...stringEnv(defaults?.env), ...stringEnv(fileTask.env) },
    };
    spec['agent'] = SHELL_AGENT;
    spec['input'] = input;
  } else if (fileTask.sleep !== undefined) {
    spec['agent'] = SLEEP_AGENT;
    spec['input'] = fileTask.sleep;
    if (spec['estimateMs'] === undefined && isSleepMs(fileTask.sleep)) spec['estimateMs'] = fileTask.sleep;
  } else if (fileTask.agent !== undefined) {
    spec['agent'] = fileTask.agent;
    if (fileTask.input !== undefined) spec['input'] = fileTask.input;
  } else {
    // Already reported by the file schema; a placeholder keeps defineDag from reporting it twice.
    spec['agent'] = SHELL_AGENT;
  }
  return spec as TaskSpec;
}

/** A sleep the file schema takes (else it is reported, and no estimate is made of it). */
function isSleepMs(value: unknown): value is number {
  // past the longest timer the sleep is refused: an estimate made of it would be a second problem the user did not write
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_TIMER_MS;
}

function pick<K extends string>(source: Partial<Record<K, unknown>> | undefined, keys: readonly K[]): Partial<Record<K, unknown>> {
  const picked: Partial<Record<K, unknown>> = {};
  if (source === undefined) return picked;
  for (let i = 0; i < keys.length; i++) {
    const value = source[keys[i]!];
    if (value !== undefined) picked[keys[i]!] = value;
  }
  return picked;
}

function stringEnv(env: FileEnv | unknown): Record<string, string> {
  if (typeof env !== 'object' || env === null) return {};
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, String(value)]));
}
