import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { type Dag, type DagIssue, DagValidationError, defineDag } from '../../index';
import { InvalidInputError, type Problem } from '../problems';
import { dagFileSchema, fileTaskSchema } from './fileSchema';
import { type ParsedFile, parseJson, parseYaml } from './sourceText';
import { toDagSpec } from './toDagSpec';

/** A DAG file that passed every check, with what is needed to point back into it. */
export interface LoadedDag {
  readonly dag: Dag;
  /** The file as the user named it. */
  readonly fileName: string;
  /** Problems for library issues found later (e.g. unknown agents), placed in the file. */
  problemsOf(issues: readonly DagIssue[]): Problem[];
}

/**
 * Reads, parses and validates a DAG file (`.yaml`, `.yml` or `.json`) into a defined DAG.
 * Throws {@link InvalidInputError} with every problem found: a missing file, syntax errors at
 * their line and column, file-format errors, and the library's own (cycles, unknown deps…).
 */
export function loadDagFile(fileName: string): LoadedDag {
  const text = readText(fileName);
  const parse = /\.ya?ml$/i.test(fileName) ? parseYaml : /\.json$/i.test(fileName) ? parseJson : undefined;
  if (parse === undefined) {
    throw new InvalidInputError([
      { file: fileName, message: `unsupported file type "${path.extname(fileName)}": expected .yaml, .yml or .json` },
    ]);
  }
  const parsed = parse(text, fileName);
  if (!parsed.ok) throw new InvalidInputError(parsed.problems);
  const source = parsed.file;
  const place = (issue: { readonly path: readonly (string | number)[]; readonly message: string }): Problem => ({
    file: fileName,
    ...source.locate(issue.path),
    path: issue.path,
    message: issue.message,
  });

  const head = dagFileSchema.safeParse(source.value);
  if (!head.success) throw new InvalidInputError(zodProblems(head.error, [], source, place));
  const problems: Problem[] = [];
  const tasks = head.data.tasks.map((raw, i) => {
    const task = fileTaskSchema.safeParse(raw);
    if (task.success) return task.data;
    problems.push(...zodProblems(task.error, ['tasks', i], source, place));
    return raw;
  });
  const spec = toDagSpec(head.data, tasks, path.dirname(path.resolve(fileName)));
  let dag: Dag | undefined;
  try {
    dag = defineDag(spec);
  } catch (error) {
    if (!(error instanceof DagValidationError)) throw error;
    problems.push(...error.issues.map(place));
  }
  if (problems.length > 0 || dag === undefined) throw new InvalidInputError(problems);
  return { dag, fileName, problemsOf: (issues) => issues.map(place) };
}

function readText(fileName: string): string {
  try {
    return readFileSync(fileName, 'utf8').replace(/^\uFEFF/, ''); // editors on Windows may add a BOM
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory, expected a DAG file'
          : code === 'EACCES'
            ? 'permission denied'
            : String((error as Error).message);
    throw new InvalidInputError([{ file: fileName, message: `cannot read DAG file: ${reason}` }]);
  }
}

/** Zod issues as problems, each naming the value it got. */
function zodProblems(
  error: z.ZodError,
  prefix: readonly (string | number)[],
  source: ParsedFile,
  place: (issue: { path: readonly (string | number)[]; message: string }) => Problem,
): Problem[] {
  return error.issues.map((issue) => {
    const issuePath = [...prefix, ...issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part))];
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((key) => `"${key}"`).join(', ');
      return place({ path: issuePath, message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}` });
    }
    const given = valueAt(source.value, issuePath);
    const got = issue.code === 'custom' ? '' : ` (got ${describe(given)})`;
    return place({ path: issuePath, message: `${issue.message}${got}` });
  });
}

function valueAt(value: unknown, at: readonly (string | number)[]): unknown {
  return at.reduce<unknown>(
    (current, key) => (typeof current === 'object' && current !== null ? (current as Record<string | number, unknown>)[key] : undefined),
    value,
  );
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'a mapping';
  // YAML's .nan and .inf are numbers JSON cannot show (it would print null)
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 60)}…` : json;
}
