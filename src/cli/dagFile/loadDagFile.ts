/**
 * Reads a DAG file (`.yaml`, `.yml` or `.json`) into a defined DAG, or throws every problem it
 * has at once, each placed at its line and column and sorted by position: what cannot be read
 * (missing, empty, binary), syntax errors, numbers that would not reach a task as written
 * (`ZIP: 02134`), the file schema's problems, the library's own
 * (`defineDag`: values, duplicates, dependencies, cycles), tasks that need a limit the file does
 * not declare or weigh more than it allows, working directories that do not exist, and, when
 * the caller gives them, the checks of a run (unknown agents, a task heavier than the
 * concurrency). A problem the tasks share because they leave a field to the defaults is placed
 * once, at the defaults. It is the one check `run`, `validate` and `graph` share; it runs nothing.
 */
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
// from the modules themselves, not the package's index: loading a DAG file needs no scheduler (nor RxJS)
import { type Dag, defineCheckedDag, defineDag } from '../../dag/defineDag';
import { type DagIssue, DagValidationError } from '../../dag/errors';
import type { DagSpec } from '../../dag/schema';
import type { LimitSpec } from '../../scheduler/limits';
import type { TakesDefault } from '../../scheduler/runCheck';
import { InvalidInputError, type Problem, sortProblems } from '../problems';
import { directoryProblems } from './directories';
import { limitProblems, usableLimits } from './fileLimits';
import { dagFileSchema, fileTaskSchema, isPlainFileTask } from './fileSchema';
import { withSynonymHints } from './knownSynonyms';
import { readDagText } from './readDagText';
import { parseJson, parseYaml, type Positions } from './sourceText';
import { changedEnvValues } from './textAsWritten';
import { shellTaskWarnings } from './shellTaskWarnings';
import { toDagSpec } from './toDagSpec';
import { type Located, zodProblems } from './zodProblems';
import { appendAll } from '../../appendAll';
import { type DagFileNote, dagFileNote } from '../store/dagFileNote';

/** A DAG file that passed every check, with what is needed to point back into it. */
export interface LoadedDag {
  readonly dag: Dag;
  /** The spec `dag` was defined from (to define it again with more, e.g. estimates). */
  readonly spec: DagSpec;
  /** The file's named limits (`limits:`), for the run's `limits` option; empty when it has none. */
  readonly limits: Readonly<Record<string, LimitSpec>>;
  /** The file as the user named it. */
  readonly fileName: string;
  /** What a journaled run notes of the file (`dagFileNote.ts`), when {@link LoadOptions.noted} asked for it. */
  readonly note?: DagFileNote;
  /** Problems for library issues found later (e.g. unknown agents), placed in the file and sorted. */
  problemsOf(issues: readonly DagIssue[]): Problem[];
}

export interface LoadOptions {
  /**
   * Check that each shell task's `cwd` is an existing directory, as running the file needs.
   * Off for a file read only for its graph (e.g. the report of a past run). @default true
   */
  readonly checkDirectories?: boolean;
  /**
   * The checks of a run of the DAG (the agents its tasks name, room for each task's weight),
   * made in the same pass as the file's so that they are reported with its other problems:
   * given the DAG and the file's limits, the library's issues. Made whenever the tasks make a
   * DAG, even one with bad values (of the DAG the rest of it makes: see `defineCheckedDag`), not
   * when they make none (a cycle, a duplicate id): there is no DAG to check then. Issues about
   * the file's limits are left to the file's own check, which says them in the file's words.
   * `takesDefault` says which tasks leave their `weight` or `limits` to the file's defaults.
   * @default no run check
   */
  readonly checkRun?: (dag: Dag, limits: Readonly<Record<string, LimitSpec>>, takesDefault: TakesDefault) => readonly DagIssue[];
  /**
   * A file with problems is refused with the warnings about its shell tasks too (see `shellTaskWarnings.ts`),
   * for a command that would run it: one round of fixes finds both. @default false
   */
  readonly warnOfEnv?: boolean;
  /** Whether to make the note a journaled run keeps of the file (a digest of its text). @default false */
  readonly noted?: boolean;
}

/**
 * `fileName`, or the file a descriptor names is open on (`/dev/fd/3` of `3<dag.yaml`, `/dev/stdin`
 * of `< dag.yaml`): its name says how to read it, its folder is where its commands run. Stdin
 * otherwise (`-`, a pipe, a terminal) and a pipe (`<(generate-dag)`) have neither, and are refused.
 */
function namedFile(fileName: string): string {
  const descriptor = fileName === '/dev/stdin' || /^\/(?:dev|proc\/self)\/fd\/\d+$/.test(fileName);
  if (fileName !== '-' && !descriptor) return fileName;
  // stdin redirected from a file (`< dag.yaml`) is that file
  const target = descriptor ? fileOpenAt(fileName) : undefined;
  if (target !== undefined) return target;
  if (fileName === '-' || fileName === '/dev/stdin' || fileName.endsWith('/fd/0')) {
    throw new InvalidInputError([
      { message: `${fileName}: a DAG is read from a file, not from stdin: write it to a .yaml or .json file first` },
    ]);
  }
  throw new InvalidInputError([
    { message: `${fileName}: a DAG is read from a file, not from a pipe (<(…)): write it to a .yaml or .json file first` },
  ]);
}

/** The regular file the descriptor path `descriptor` is open on, if it is one. */
function fileOpenAt(descriptor: string): string | undefined {
  try {
    const target = realpathSync(descriptor);
    return statSync(target).isFile() ? target : undefined;
  } catch {
    return undefined; // a pipe's `pipe:[…]`, a closed descriptor
  }
}

/**
 * Reads, parses and validates a DAG file into a defined DAG. Throws {@link InvalidInputError}
 * with every problem found; a problem in one part (the defaults, a task) hides none elsewhere.
 */
export function loadDagFile(given: string, options: LoadOptions = {}): LoadedDag {
  const fileName = namedFile(given);
  const text = readDagText(fileName);
  const yaml = /\.ya?ml$/i.test(fileName);
  if (!yaml && !/\.json$/i.test(fileName)) {
    throw new InvalidInputError([
      {
        file: fileName,
        message:
          path.extname(fileName) === ''
            ? 'a DAG file is named by its type: .yaml, .yml or .json'
            : `unsupported file type "${path.extname(fileName)}": expected .yaml, .yml or .json`,
      },
    ]);
  }
  if (yaml ? isBlankYaml(text) : text.trim() === '') {
    throw new InvalidInputError([{ message: `${fileName} is empty: expected a mapping with \`id\` and \`tasks\` at the top of the file` }]);
  }
  const parsed = (yaml ? parseYaml : parseJson)(text, fileName);
  if (!parsed.ok) throw new InvalidInputError(parsed.problems);
  const { value } = parsed.file;
  // `place` (kept by `problemsOf` for the whole run) holds the text's positions, not the value
  const place = placer(fileName, parsed.file.positions);

  const problems: Problem[] = [...parsed.file.problems];
  if (!parsed.file.numbersAsWritten) appendAll(problems, changedEnvValues(value, text, parsed.file.positions).map(place));
  // one mistake, said once: a value told to be quoted (`.nan`) is not also refused as no value,
  // and nothing is said again on the line of a problem found while reading the text (a tagged
  // value, `sleep: !!float 7` read on as the text "7", is not also refused as not a number)
  const told = new Set(problems.map((problem) => JSON.stringify(problem.path)));
  const toldLines = new Set(parsed.file.problems.flatMap((problem) => problem.line ?? []));
  // a problem placed at a key of its own (`A=B:` in an `env` whose `01:` was told) is not the one told of its mapping
  const atOwnKey = (problem: Problem) =>
    problem.line !== undefined && problem.path !== undefined && parsed.file.positions.locate(problem.path)?.line !== problem.line;
  const isTold = (problem: Problem) =>
    (told.has(JSON.stringify(problem.path)) && !atOwnKey(problem)) || (problem.line !== undefined && toldLines.has(problem.line));
  const untold = (found: Problem[]) => (told.size === 0 && toldLines.size === 0 ? found : found.filter((problem) => !isTold(problem)));
  // the head without its tasks (checked one by one below): zod would copy a 100k-task array
  const head = dagFileSchema.safeParse(
    isMapping(value) && Array.isArray((value as { tasks?: unknown }).tasks) ? { ...(value as object), tasks: [] } : value,
  );
  if (!head.success) problems.push(...untold(zodProblems(head.error, [], dagFileSchema, value, place)));
  if (!isMapping(value)) throw new InvalidInputError(problems);
  // read on past a bad head: the tasks' problems are reported with it
  const file = value as { id?: unknown; tasks?: unknown; defaults?: unknown; limits?: unknown };
  const fileTasks: readonly unknown[] = Array.isArray(file.tasks) ? file.tasks : [];
  const tasks = fileTasks.map((raw, i) => {
    if (isPlainFileTask(raw)) return raw;
    const task = fileTaskSchema.safeParse(raw);
    if (task.success) return task.data;
    problems.push(...untold(zodProblems(task.error, ['tasks', i], fileTaskSchema, value, place)));
    return raw;
  });
  const spec = toDagSpec(file, tasks, path.dirname(path.resolve(fileName)));
  const limits = usableLimits(file.limits);
  const limitIssues = limitProblems(fileTasks, file.limits, file.defaults);
  const { checkRun } = options;
  let dag: Dag | undefined;
  try {
    dag =
      checkRun === undefined
        ? defineDag(spec)
        : defineCheckedDag(spec, (defined) => checkRun(defined, limits, leftToDefaults(defined, fileTasks, file.defaults)));
  } catch (error) {
    if (!(error instanceof DagValidationError)) throw error;
    // the run's issues about the file's limits are the file's own check's to say, in the file's words
    const said = new Set(limitIssues.map(issueKey));
    const issues = error.issues.filter((issue) => issue.code !== 'unknown-limit' && !said.has(issueKey(issue)));
    // a task that is not a mapping is the file schema's to report: once, in the file's words
    const own = issues.filter((issue) => !aboutNonMapping(issue, fileTasks));
    appendAll(problems, withSynonymHints(own, value, !yaml).map(place));
    // never refused without a word: what the file's own checks did not say, the library's issues say
    if (problems.length === 0 && limitIssues.length === 0) appendAll(problems, error.issues.map(place));
  }
  appendAll(problems, limitIssues.map(place));
  if (options.checkDirectories !== false) appendAll(problems, directoryProblems(spec, fileTasks, file.defaults, place));
  if (problems.length > 0 || dag === undefined)
    throw new InvalidInputError(sortProblems(problems), options.warnOfEnv === true ? shellTaskWarnings(spec) : []);
  return {
    dag,
    spec,
    limits,
    fileName,
    ...(options.noted === true ? { note: dagFileNote(fileName, text) } : {}),
    problemsOf: (issues) => sortProblems(issues.map(place)),
  };
}

/**
 * Whether the file's task that is `task` of `dag` leaves `field` to the file's defaults: the
 * defaults give it and the task does not (a task's place in the DAG is its place in the file
 * unless tasks before it were left out of the DAG: then it is found by its id).
 */
function leftToDefaults(dag: Dag, fileTasks: readonly unknown[], defaults: unknown): TakesDefault {
  let byId: Map<unknown, unknown> | undefined;
  return (task, field) => {
    if (!isMapping(defaults) || (defaults as Record<string, unknown>)[field] === undefined) return false;
    const id = dag.index.ids[task];
    let fileTask = fileTasks[task];
    if (!isMapping(fileTask) || (fileTask as { id?: unknown }).id !== id) {
      // ids are unique in a DAG that is checked: a duplicate id leaves no DAG
      byId ??= new Map(fileTasks.map((raw) => [isMapping(raw) ? (raw as { id?: unknown }).id : undefined, raw]));
      fileTask = byId.get(id);
    }
    return isMapping(fileTask) && (fileTask as Record<string, unknown>)[field] === undefined;
  };
}

/** Whether a library issue is about (or inside) a task of the file that is not a mapping. */
function aboutNonMapping(issue: DagIssue, fileTasks: readonly unknown[]): boolean {
  const [tasks, i] = issue.path;
  return tasks === 'tasks' && typeof i === 'number' && i < fileTasks.length && !isMapping(fileTasks[i]);
}

/** What makes two issues the same problem: where it is and what it says. */
function issueKey(issue: Located): string {
  return `${JSON.stringify(issue.path)}\n${issue.message}`;
}

/** Places an issue in the file: at the value its path names, or at the key of an unknown field. */
function placer(fileName: string, positions: Positions): (issue: Located) => Problem {
  return (issue) => ({
    file: fileName,
    ...(issue.field === undefined ? positions.locate(issue.path) : positions.locateKey(issue.path, issue.field)),
    path: issue.path,
    message: issue.message,
  });
}

function isMapping(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a YAML text has nothing but blank lines, comments and document markers (read up to its first other line). */
function isBlankYaml(text: string): boolean {
  for (let start = 0; start <= text.length;) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end < 0 ? text.length : end);
    if (!/^\s*(#.*)?$/.test(line) && !/^(---|\.\.\.)\s*(#.*)?$/.test(line)) return false;
    if (end < 0) break;
    start = end + 1;
  }
  return true;
}
