/**
 * The check that every shell task's working directory exists and can be entered, made when the
 * file is read: so `rxdag validate` refuses what `rxdag run` would only find out when the task
 * starts. Each such directory is one problem, at the `cwd` that names it (the task's, the defaults', or
 * the `input.cwd` of an `agent: shell` task). The same check of a journaled run's tasks still to
 * run is made before `rxdag resume` goes on. Does not create directories nor check anything else.
 */
import path from 'node:path';
import type { DagSpec } from '../../index';
import { quoted } from '../../dag/text';
import { SHELL_AGENT } from '../agents/shellAgent';
import { NOT_A_DIRECTORY, workingDirectoryProblem } from '../agents/workingDirectory';
import type { Problem } from '../problems';
import type { Located } from './zodProblems';
import { EXPANSION } from './shellTaskWarnings';

/**
 * The shell tasks of `spec` whose `cwd` is not an existing directory they can enter. `fileTasks` and
 * `fileDefaults` are the tasks and defaults as written, to say which `cwd` is at fault; the
 * folder of the DAG file (the default `cwd`) is not checked: the file was just read from it.
 */
export function directoryProblems(
  spec: DagSpec,
  fileTasks: readonly unknown[],
  fileDefaults: unknown,
  place: (issue: Located) => Problem,
): Problem[] {
  const problemOf = new Map<string, string | undefined>();
  const reported = new Set<string>();
  const problems: Problem[] = [];
  spec.tasks.forEach((task: unknown, i) => {
    // a task that is not a mapping (`- null`, `- 5`) is the file schema's to report
    if (!isMapping(task) || task['agent'] !== SHELL_AGENT) return;
    const input = task['input'];
    const cwd = isMapping(input) ? input['cwd'] : undefined;
    if (typeof cwd !== 'string' || cwd.includes('\0')) return; // a NUL is the file schema's to report
    const where = writtenAt(fileTasks[i], i, fileDefaults);
    if (where === undefined) return;
    const resolved = path.resolve(cwd);
    if (!problemOf.has(resolved)) problemOf.set(resolved, workingDirectoryProblem(resolved));
    const problem = problemOf.get(resolved);
    const key = `${where.path.join('.')}\n${resolved}`;
    if (problem === undefined || reported.has(key)) return;
    reported.add(key);
    const shown = where.written === resolved ? quoted(resolved) : `${quoted(where.written)} (${quoted(resolved)})`;
    problems.push(place({ path: where.path, message: `cwd ${shown} ${problem}${unexpandedHint(where.written, problem)}` }));
  });
  return problems;
}

/** A working directory a task cannot start in here, its first such task, and why (`is not an existing directory`). */
export interface UnusableDirectory {
  readonly directory: string;
  readonly taskId: string;
  readonly problem: string;
}

/**
 * The working directories of the shell tasks of a journaled run that are still to run (`ended`
 * names those that are not) and that they could not start in here (not an existing directory, or
 * one this user may not enter), each with its first task and the problem: a run resumed on
 * another machine, or after its folder moved, would fail those tasks for good where it should
 * refuse to go on.
 */
export function unusableJournaledDirectories(spec: DagSpec, ended: ReadonlySet<string>): UnusableDirectory[] {
  const unusable: UnusableDirectory[] = [];
  const checked = new Set<string>();
  for (const task of spec.tasks) {
    if (task.agent !== SHELL_AGENT || ended.has(task.id)) continue;
    const input: unknown = task.input;
    const cwd = isMapping(input) ? input['cwd'] : undefined;
    if (typeof cwd !== 'string' || checked.has(cwd)) continue;
    checked.add(cwd);
    const problem = workingDirectoryProblem(cwd);
    if (problem !== undefined) unusable.push({ directory: cwd, taskId: task.id, problem });
  }
  return unusable;
}

/**
 * What a shell would have made of a `cwd` that rxdag takes as written (`~/x`, `$HOME/x`); else,
 * for one that is not there, that it must be when the run starts (a folder a task makes is not yet).
 */
function unexpandedHint(written: string, problem: string): string {
  if (written === '~' || written.startsWith('~/'))
    return ': rxdag does not expand ~ (write the whole path, or one relative to the DAG file)';
  if (EXPANSION.test(written)) return ': rxdag does not expand variables in cwd (write the whole path, or one relative to the DAG file)';
  return problem === NOT_A_DIRECTORY
    ? ` (it must exist when the run starts: for a folder a task makes, \`cd\` into it in the command instead)`
    : '';
}

/** Which `cwd` of the file gives a shell task its directory, as written; `undefined` for the file's own folder. */
function writtenAt(fileTask: unknown, i: number, fileDefaults: unknown): { path: (string | number)[]; written: string } | undefined {
  const task: Record<string, unknown> = isMapping(fileTask) ? fileTask : {};
  if (task['run'] === undefined) {
    const input = task['input'];
    const cwd = isMapping(input) ? input['cwd'] : undefined;
    return typeof cwd === 'string' ? { path: ['tasks', i, 'input', 'cwd'], written: cwd } : undefined;
  }
  if (typeof task['cwd'] === 'string') return { path: ['tasks', i, 'cwd'], written: task['cwd'] };
  const defaultCwd = isMapping(fileDefaults) ? fileDefaults['cwd'] : undefined;
  return typeof defaultCwd === 'string' ? { path: ['defaults', 'cwd'], written: defaultCwd } : undefined;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
