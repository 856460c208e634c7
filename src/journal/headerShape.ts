import type { SchedulingMode } from '../scheduler/options';
import { FAILURE_POLICIES } from '../events';
import { JournalCorruptError, type JournalHeader } from './journal';

/**
 * The shape a run's header must have when a journal reads it back (a file journal's first line,
 * a PostgreSQL row): every field `JournalHeader` declares, of its type, so that no reader is
 * handed an `undefined` where the type promises a string. It checks the DAG spec only for being
 * an object with an `id` and a `tasks` list (`defineDag` judges the tasks when the run is
 * resumed) and the options for the fields every run has and the types of those it may have. It
 * judges headers read from storage, not the ones a run makes, and reads nothing itself. Problems
 * are data, all of them, not the first.
 */

/** Whether a field's value is of the type it must have. */
type Check = (value: unknown) => boolean;

const isString: Check = (value) => typeof value === 'string';
const isNumber: Check = (value) => typeof value === 'number' && Number.isFinite(value);
const isObject: Check = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount: Check = (value) => Number.isSafeInteger(value) && (value as number) > 0;

/** A named limit as a run declares it: `{ concurrency?, rate?: { limit, intervalMs } }`, one of them at least. */
const isLimit: Check = (value) => {
  if (!isObject(value)) return false;
  const { concurrency, rate } = value as { concurrency?: unknown; rate?: unknown };
  if (concurrency === undefined && rate === undefined) return false;
  if (concurrency !== undefined && !isCount(concurrency)) return false;
  if (rate === undefined) return true;
  const { limit, intervalMs } = (isObject(rate) ? rate : {}) as { limit?: unknown; intervalMs?: unknown };
  return isCount(limit) && isNumber(intervalMs) && (intervalMs as number) > 0;
};

const MODES: readonly unknown[] = ['event', 'polling'] satisfies readonly SchedulingMode[];

/** The header's own fields: name, check, what is expected. */
const HEADER_FIELDS: readonly (readonly [string, Check, string])[] = [
  ['runId', isString, 'a string'],
  ['dagId', isString, 'a string'],
  ['spec', isObject, 'a DAG spec: an object with id and tasks'],
  ['options', isObject, 'an object of run options'],
  ['createdAt', isNumber, 'a number of milliseconds'],
];

/** The spec's fields a reader relies on. */
const SPEC_FIELDS: readonly (readonly [string, Check, string])[] = [
  ['id', isString, 'a string'],
  ['tasks', Array.isArray, 'a list of tasks'],
];

/** The options every run has, then those it may have (absent in older journals, or when not set). */
const OPTION_FIELDS: readonly (readonly [string, Check, string, 'required' | 'optional'])[] = [
  [
    'failurePolicy',
    (value) => (FAILURE_POLICIES as readonly unknown[]).includes(value),
    "'skip-dependents', 'fail-fast' or 'continue'",
    'required',
  ],
  ['contextInjection', (value) => typeof value === 'boolean', 'true or false', 'required'],
  ['taskTimeoutMs', isNumber, 'a number of milliseconds', 'optional'],
  ['limits', isObject, 'an object of named limits', 'optional'],
  ['maxConcurrency', isNumber, 'a number', 'optional'],
  ['mode', (value) => MODES.includes(value), "'event' or 'polling'", 'optional'],
  ['pollIntervalMs', isNumber, 'a number of milliseconds', 'optional'],
  ['metadata', isObject, 'an object of JSON data', 'optional'],
];

/**
 * What is wrong with `value` as a run's header, one line per field; empty when nothing is.
 *
 * @example
 * headerProblems({ ...header, dagId: undefined }) // ['dagId is missing (expected a string)']
 */
export function headerProblems(value: unknown): string[] {
  if (!isObject(value)) return [`it is ${shown(value)} (expected an object with runId, dagId, spec, options and createdAt)`];
  const header = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const [name, check, expected] of HEADER_FIELDS) {
    if (!check(header[name])) problems.push(problemOf(name, header[name], expected));
  }
  if (isObject(header.spec)) {
    const spec = header.spec as Record<string, unknown>;
    for (const [name, check, expected] of SPEC_FIELDS)
      if (!check(spec[name])) problems.push(problemOf(`spec.${name}`, spec[name], expected));
  }
  if (isObject(header.options)) {
    const options = header.options as Record<string, unknown>;
    for (const [name, check, expected, presence] of OPTION_FIELDS) {
      const option = options[name];
      if (option === undefined && presence === 'optional') continue;
      if (!check(option)) problems.push(problemOf(`options.${name}`, option, expected));
    }
    // a limit the run declared: `rxdag show` describes it and a resume enforces it
    if (isObject(options.limits)) {
      for (const [name, limit] of Object.entries(options.limits as Record<string, unknown>)) {
        if (!isLimit(limit))
          problems.push(
            problemOf(`options.limits[${JSON.stringify(name)}]`, limit, 'a limit { concurrency?, rate?: { limit, intervalMs } }'),
          );
      }
    }
  }
  return problems;
}

/**
 * `value` as a run's header, or a `JournalCorruptError` of run `runId` at `where` (`<file>:1`,
 * `its header`) naming every field that is wrong. Whether it is the header of the run it is
 * stored for is the caller's to say.
 *
 * @example
 * const header = checkedHeader(JSON.parse(line), 'nightly-42', `${file}:1`);
 */
export function checkedHeader(value: unknown, runId: string, where: string): JournalHeader {
  const problems = headerProblems(value);
  if (problems.length > 0) throw new JournalCorruptError(runId, where, `the header is not an rxdag run header: ${problems.join('; ')}`);
  return value as JournalHeader;
}

function problemOf(field: string, value: unknown, expected: string): string {
  return value === undefined ? `${field} is missing (expected ${expected})` : `${field} is ${shown(value)} (expected ${expected})`;
}

/** Longest JSON text of a wrong value quoted in a problem. */
const MAX_SHOWN = 40;

/** A wrong value as a problem shows it: its JSON text, cut short. */
function shown(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined) return typeof value;
  return text.length <= MAX_SHOWN ? text : `${text.slice(0, MAX_SHOWN - 1)}…`;
}
