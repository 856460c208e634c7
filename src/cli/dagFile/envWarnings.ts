/**
 * Warnings about `env` values that look like they expect the shell to expand them
 * (`PATH: ./bin:$PATH`): rxdag passes each value as written, so the task gets those characters,
 * and a command then fails far from the cause (`sleep: not found`). Said once per variable and
 * value, however many tasks share it (the defaults' `env` reaches every task). Nothing is
 * refused: a value may mean the characters. It reads the DAG's spec and writes nothing.
 */
import type { DagSpec } from '../../index';
import { quoted } from '../../dag/text';

/** `$NAME` or `${NAME}`: what a shell would expand. */
const EXPANSION = /\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)/;

/** The warnings of `spec`'s shell tasks' `env`, each one line without the `rxdag: warning: ` in front. */
export function envExpansionWarnings(spec: DagSpec): string[] {
  const seen = new Map<string, { readonly name: string; readonly value: string; readonly tasks: string[] }>();
  for (const task of spec.tasks) {
    const env = (task.input as { readonly env?: unknown } | undefined)?.env;
    if (typeof env !== 'object' || env === null) continue;
    for (const [name, value] of Object.entries(env as Record<string, unknown>)) {
      if (typeof value !== 'string' || !EXPANSION.test(value)) continue;
      const key = `${name}\0${value}`;
      let entry = seen.get(key);
      if (entry === undefined) seen.set(key, (entry = { name, value, tasks: [] }));
      entry.tasks.push(task.id);
    }
  }
  // the value itself is not quoted: it may be a secret (a hash with `$` in it)
  return [...seen.values()].map(({ name, value, tasks }) => {
    const which = tasks.length === 1 ? `task ${quoted(tasks[0]!)}` : `${tasks.length} tasks (${quoted(tasks[0]!)}, …)`;
    const variable = EXPANSION.exec(value)![0];
    return (
      `env ${name} of ${which} holds ${variable}, passed as written: rxdag does not expand it ` +
      `(the command's shell does: to extend ${variable}, set ${name} in the command itself)`
    );
  });
}
