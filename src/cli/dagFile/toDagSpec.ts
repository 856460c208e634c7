import path from 'node:path';
import type { DagSpec, TaskSpec } from '../../index';
import { SHELL_AGENT, type ShellInput } from '../agents/shellAgent';
import { SLEEP_AGENT } from '../agents/sleepAgent';
import type { FileDefaults, FileEnv, FileTask } from './fileSchema';

/** Fields a file task shares with the library's task spec, copied as written. */
const LIBRARY_TASK_FIELDS = ['id', 'deps', 'timeoutMs', 'retry', 'priority', 'estimateMs'] as const;
const LIBRARY_DEFAULT_FIELDS = ['timeoutMs', 'retry', 'priority'] as const;

/**
 * Turns a DAG file into the library's `DagSpec`: `run` becomes the `shell` agent with input
 * `{command, cwd, env}` (a relative `cwd` is resolved against the file's folder, the default
 * `cwd`), and `sleep` becomes the `sleep` agent with the milliseconds as input.
 *
 * `tasks` holds each task as parsed, or as written when it failed the file schema: it is still
 * handed to `defineDag` so that its other problems (unknown dependencies, cycles) are reported
 * in the same pass.
 */
export function toDagSpec(
  file: { readonly id?: unknown; readonly defaults?: FileDefaults | undefined },
  tasks: readonly (FileTask | unknown)[],
  baseDir: string,
): DagSpec {
  const defaults = file.defaults;
  const defaultsSpec = pick(defaults, LIBRARY_DEFAULT_FIELDS);
  const spec = {
    id: file.id,
    tasks: tasks.map((task) => toTaskSpec(task, defaults, baseDir)),
    ...(Object.keys(defaultsSpec).length > 0 ? { defaults: defaultsSpec } : {}),
  };
  // The fields are checked by defineDag, which takes a DagSpec and validates it at run time.
  return spec as DagSpec;
}

function toTaskSpec(task: unknown, defaults: FileDefaults | undefined, baseDir: string): TaskSpec {
  if (typeof task !== 'object' || task === null) return task as TaskSpec;
  const fileTask = task as Partial<FileTask>;
  const spec: Record<string, unknown> = pick(fileTask, LIBRARY_TASK_FIELDS);
  if (typeof fileTask.run === 'string') {
    const input: ShellInput = {
      command: fileTask.run,
      cwd: path.resolve(baseDir, defaults?.cwd ?? '.', typeof fileTask.cwd === 'string' ? fileTask.cwd : '.'),
      env: { ...stringEnv(defaults?.env), ...stringEnv(fileTask.env) },
    };
    Object.assign(spec, { agent: SHELL_AGENT, input });
  } else if (fileTask.sleep !== undefined) {
    Object.assign(spec, { agent: SLEEP_AGENT, input: fileTask.sleep });
  } else if (fileTask.agent !== undefined) {
    Object.assign(spec, { agent: fileTask.agent, ...(fileTask.input === undefined ? {} : { input: fileTask.input }) });
  } else {
    // Already reported by the file schema; a placeholder keeps defineDag from reporting it twice.
    spec['agent'] = SHELL_AGENT;
  }
  return spec as TaskSpec;
}

function pick<K extends string>(source: Partial<Record<K, unknown>> | undefined, keys: readonly K[]): Partial<Record<K, unknown>> {
  const picked: Partial<Record<K, unknown>> = {};
  if (source === undefined) return picked;
  for (const key of keys) if (source[key] !== undefined) picked[key] = source[key];
  return picked;
}

function stringEnv(env: FileEnv | unknown): Record<string, string> {
  if (typeof env !== 'object' || env === null) return {};
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, String(value)]));
}
