/**
 * The error `defineDag`, `runDag` and spawning throw for an invalid DAG, and the shape of each
 * problem it carries. Words the problems; finding them is the work of the checks that build it.
 */
import { escapeControls, quoted } from './text';

export { quoted };

/** One problem found in a DAG definition or in the options of a run. */
export interface DagIssue {
  /** Where the problem is, e.g. `['tasks', 3, 'deps', 0]`. Empty for the DAG as a whole. */
  readonly path: readonly (string | number)[];
  /** A stable machine-readable kind, e.g. `unknown-dependency` or `cycle`. */
  readonly code: DagIssueCode;
  /** What is wrong and what was expected, in one sentence. */
  readonly message: string;
  /** For an unknown field: its name (`path` is the object that holds it). */
  readonly field?: string;
  /** For `cycle`: the ids on the cycle, each depending on the next (the message shortens long ones). */
  readonly cycle?: readonly string[];
}

export type DagIssueCode =
  'invalid-value' | 'duplicate-id' | 'unknown-dependency' | 'self-dependency' | 'cycle' | 'unknown-agent' | 'unknown-limit' | 'too-heavy';

/** Formats a path like `tasks[3].deps[0]`; the empty path is `(dag)`. */
export function formatIssuePath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(dag)';
  // an empty key (a mapping may have one) is written as one, not as a dot with nothing after it
  return escapeControls(path.map((part, i) => (typeof part === 'number' ? `[${part}]` : part === '' ? '[""]' : i === 0 ? part : `.${part}`)).join(''));
}

/**
 * Thrown by `defineDag` (and by `runDag`/`submit` for unknown agents) with every problem found,
 * never only the first. Nothing runs on a DAG that produced this error.
 *
 * @example
 * try { defineDag(spec) } catch (e) {
 *   if (e instanceof DagValidationError) for (const issue of e.issues) console.error(issue.message)
 * }
 */
export class DagValidationError extends Error {
  override readonly name = 'DagValidationError';

  constructor(
    readonly issues: readonly DagIssue[],
    dagId?: string,
    /** The task whose agent spawned the tasks at fault (`spawn[…]` paths), when they were spawned. */
    readonly spawner?: string,
  ) {
    const shown = issues.slice(0, MESSAGE_ISSUES).map((issue) => `  ${formatIssuePath(issue.path)}: ${issue.message}`);
    const more = issues.length - shown.length;
    if (more > 0) shown.push(`  … and ${more} more (every problem is in the error's \`issues\`)`);
    const dag = dagId === undefined ? 'DAG' : `DAG ${quoted(dagId)}`;
    const subject = spawner === undefined ? `${dag} is` : `the tasks ${quoted(spawner)} spawned in ${dag} are`;
    super(`${subject} invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${shown.join('\n')}`);
  }
}

/** Most problems a `DagValidationError`'s message lists: a DAG of 100k bad tasks must not make a message of megabytes. */
const MESSAGE_ISSUES = 100;
