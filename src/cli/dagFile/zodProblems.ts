/**
 * The file schema's zod issues as problems placed in the file: each names the value it got in
 * the file's own words (`a list`, `a mapping`), and each unknown field is its own problem, at the
 * key's line and column, with the field most likely meant (the field a name of another workflow
 * tool stands for: `knownSynonyms.ts`); so is a key the mapping cannot hold
 * (an environment variable name with `=`). Words problems; finds none itself.
 */
import type { z } from 'zod';
import {
  fieldsAt,
  isMissingButMisspelt,
  issuePath,
  millisecondsHint,
  oddSpaceHint,
  type Misspelt,
  misspeltFields,
  quoteHint,
  valueAt,
} from '../../dag/issues';
import { quoted } from '../../dag/text';
import type { Problem } from '../problems';
import { synonymsMeant, unknownField } from './knownSynonyms';

/** What a problem is placed from: a path in the file, and for an unknown field its key. */
export interface Located {
  readonly path: readonly (string | number)[];
  readonly message: string;
  /** An unknown field, or a key the mapping cannot hold: the problem is placed at this key of the mapping at `path`. */
  readonly field?: string;
}

/** Zod's issues of `schema` (which checked the value at `prefix` of `fileValue`), placed by `place`. */
export function zodProblems(
  error: z.ZodError,
  prefix: readonly (string | number)[],
  schema: z.ZodType,
  fileValue: unknown,
  place: (issue: Located) => Problem,
): Problem[] {
  // a field an unknown field stood for is not also said to be missing (`slep: 0` is not "needs `sleep`")
  const closest = misspeltFields(error, schema);
  const synonyms = synonymsMeant(error, schema);
  const misspelt: Misspelt = (at, field) => closest(at, field) || synonyms(at, field);
  const checked = valueAt(fileValue, prefix);
  return error.issues.flatMap((issue) => {
    const at = issuePath(issue);
    const path = [...prefix, ...at];
    if (issue.code === 'unrecognized_keys') {
      const known = fieldsAt(schema, at);
      return issue.keys.map((field) => place({ path, field, message: unknownField(field, known, valueAt(checked, [...at, field])) }));
    }
    const params = issue.code === 'custom' ? (issue.params as CustomParams | undefined) : undefined;
    const standsFor = (names: readonly string[] | undefined, mapping: readonly (string | number)[]) =>
      names?.some((name) => misspelt(mapping, name)) === true;
    if (
      isMissingButMisspelt(issue, checked, misspelt) ||
      standsFor(params?.unlessMisspelt, at) ||
      standsFor(params?.besideMisspelt, at.slice(0, -1))
    )
      return [];
    const field = path[path.length - 1];
    if ((issue.code === 'invalid_key' || params?.atKey === true) && typeof field === 'string') {
      // a key the mapping cannot hold (an environment variable name with `=`): placed at the key
      const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
      return [place({ path: path.slice(0, -1), field, message })];
    }
    // a custom issue is about the task as a whole (its value says nothing) unless it asks for the value
    const showValue = issue.code !== 'custom' || params?.showValue === true;
    if (!showValue) return [place({ path, message: issue.message })];
    const value = valueAt(fileValue, path);
    return [
      place({
        path,
        message: `${issue.message} (got ${describeFileValue(value)}${quoteHint(issue, value)}${millisecondsHint(issue, value)}${oddSpaceHint(issue, value)})`,
      }),
    ];
  });
}

/** What a custom issue of the file schema may ask of its wording. */
interface CustomParams {
  readonly showValue?: boolean;
  readonly atKey?: boolean;
  /** Fields the issue asks for: it is not said when an unknown field of the mapping was one of them misspelt. */
  readonly unlessMisspelt?: readonly string[];
  /** The same, for an issue at a field of the mapping (`cwd` needs `run` beside it). */
  readonly besideMisspelt?: readonly string[];
}

/** A value of a DAG file as a message shows it after "got": `-5`, `"abc"`, `a list`, `a mapping`, `nothing`. */
export function describeFileValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'a mapping';
  if (typeof value === 'string') return quoted(value);
  // YAML's .nan and .inf are numbers JSON cannot show (it would print null)
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}
