/**
 * Warnings about what shell tasks are given that would not reach the command as the file reads:
 * - values that look like they expect the shell to expand them (`PATH: ./bin:$PATH`, `${HOME}`): rxdag
 *   passes each value as written, so the task gets those characters, and a command then fails
 *   far from the cause (`sleep: not found`). Said once per variable and value;
 * - names that are not shell variable names (`MY-VAR`, `1X`): `/bin/sh` may leave them out of
 *   the environment it gives the command (dash does), so the command sees nothing. Said once
 *   per name;
 * - GitHub Actions expressions (`${{ env.TOKEN }}`) in a command, an `env` value or a `cwd`, as a
 *   workflow's steps carry them: rxdag expands none, and `/bin/sh` fails on one (`Bad
 *   substitution`). Said once per expression.
 * However many tasks share one (the defaults' `env` reaches every task). Nothing is refused: a
 * value may mean the characters, and a shell may keep the name. It reads the DAG's spec and
 * writes nothing.
 */
import type { DagSpec, TaskSpec } from '../../index';
import { quoted } from '../../dag/text';

/** `$NAME` or `${NAME}`: what a shell would expand. */
export const EXPANSION = /\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)/;

/**
 * What in an `env` value reads as a variable meant to be expanded: `${NAME}`, or `$NAME` in
 * capitals as environment variables are named. `$` before other letters is more often part of a
 * password (`Pa$$w0rd`), which a warning would print.
 */
const MEANT_EXPANSION = /\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Z_][A-Z0-9_]*(?![A-Za-z0-9_]))/;

/** A name a POSIX shell keeps as a variable. */
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `${{ … }}`: a GitHub Actions expression. */
const ACTIONS_EXPRESSIONS = /\$\{\{.*?\}\}/g;

/** The warnings of `spec`'s shell tasks, each one line without the `rxdag: warning: ` in front. */
export function shellTaskWarnings(spec: DagSpec): string[] {
  const expressions = new Map<string, Set<string>>();
  const expansions = new Map<string, { readonly name: string; readonly value: string; readonly tasks: string[] }>();
  const badNames = new Map<string, Set<string>>();
  // each task once, whatever holds it how often
  const add = (found: Map<string, Set<string>>, key: string, taskId: string) => found.set(key, (found.get(key) ?? new Set()).add(taskId));
  for (const task of spec.tasks as readonly unknown[] as readonly (TaskSpec | null | undefined)[]) {
    // the spec of a file with problems may hold anything where a task is wrong
    if (typeof task !== 'object' || task === null || typeof task.id !== 'string') continue;
    const { command, cwd, env } = (task.input ?? {}) as { readonly command?: unknown; readonly cwd?: unknown; readonly env?: unknown };
    for (const text of [command, cwd, ...(typeof env === 'object' && env !== null ? Object.values(env) : [])]) {
      for (const [expression] of typeof text === 'string' ? text.matchAll(ACTIONS_EXPRESSIONS) : []) add(expressions, expression, task.id);
    }
    if (typeof env !== 'object' || env === null) continue;
    for (const [name, value] of Object.entries(env as Record<string, unknown>)) {
      // an empty name, or one holding `=` or NUL, is refused as a problem of the file: not also warned of
      if (!SHELL_NAME.test(name) && name !== '' && !/[=\0]/.test(name)) add(badNames, name, task.id);
      if (typeof value !== 'string' || !MEANT_EXPANSION.test(value)) continue;
      const key = `${name}\0${value}`;
      let entry = expansions.get(key);
      if (entry === undefined) expansions.set(key, (entry = { name, value, tasks: [] }));
      entry.tasks.push(task.id);
    }
  }
  // the value itself is not quoted: it may be a secret (a hash with `$` in it)
  const expanded = [...expansions.values()].map(({ name, value, tasks }) => {
    const variable = MEANT_EXPANSION.exec(value)![0];
    // `PATH: ./bin:$PATH` extends the variable; `TOKEN: $NPM_TOKEN` uses another
    const use = variable.replace(/[${}]/g, '') === name ? 'extend' : 'use';
    return (
      `env ${name} of ${whichTasks(tasks)} holds ${variable}, passed as written: rxdag does not expand it ` +
      `(the command's shell does: to ${use} ${variable}, set ${name} in the command itself)`
    );
  });
  const named = [...badNames].map(
    ([name, tasks]) =>
      `env ${quoted(name)} of ${whichTasks(tasks)} is not a shell variable name: /bin/sh may leave it out of the command's ` +
      `environment (dash does); use letters, digits and _, not starting with a digit`,
  );
  const actions = [...expressions].map(
    ([expression, tasks]) =>
      `${whichTasks(tasks)} ${tasks.size === 1 ? 'holds' : 'hold'} ${expression}, a GitHub Actions expression, which rxdag does not expand ` +
      "(in a command /bin/sh fails on it outside single quotes: Bad substitution); for a variable, write $NAME and give NAME in rxdag's environment or the task's `env`",
  );
  return [...expanded, ...named, ...actions];
}

/** `task "a"`, or `3 tasks ("a", …)`. */
function whichTasks(tasks: Iterable<string>): string {
  const [first, ...others] = tasks;
  return others.length === 0 ? `task ${quoted(first!)}` : `${others.length + 1} tasks (${quoted(first!)}, …)`;
}
