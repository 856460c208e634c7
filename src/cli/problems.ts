/**
 * What the CLI says about bad input: one {@link Problem} per thing wrong (a file, a place in it,
 * or an option), thrown all together in an {@link InvalidInputError}, and how each is printed:
 * one line, compiler-style, control characters escaped so a file's bytes never reach the
 * terminal raw; and the one way a number given on the command line is read
 * ({@link optionNumber}), so that every numeric option takes the same forms. Finds no problems
 * itself: the DAG file loader and the option checks do.
 */
import { formatIssuePath } from '../dag/errors';
import { escapeControls } from '../dag/text';

/** One thing wrong with what the user gave: a file, a line in it, or an option. */
export interface Problem {
  /** The file the problem is in, as the user named it; absent for options. */
  readonly file?: string;
  /** 1-based position in the file, when known. */
  readonly line?: number;
  readonly column?: number;
  /** Where in the DAG, e.g. `['tasks', 3, 'deps', 0]`. */
  readonly path?: readonly (string | number)[];
  readonly message: string;
}

/**
 * Thrown when the input is invalid: every problem found, never only the first. The CLI prints
 * each on its own line and exits 2 without running anything.
 */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
  constructor(
    readonly problems: readonly Problem[],
    /** What is worth saying about the input besides (e.g. an `env` value a shell would have expanded), printed after the problems. */
    readonly warnings: readonly string[] = [],
  ) {
    super(problemLines(problems).join('\n'));
  }
}

/** Most problems printed: a file with one mistake made 100,000 times needs the first few, not 100,000 lines. */
export const MAX_PRINTED_PROBLEMS = 50;

/**
 * The lines that print `problems`: the first {@link MAX_PRINTED_PROBLEMS}, then one that says
 * how many more there are.
 */
export function problemLines(problems: readonly Problem[]): string[] {
  const lines = problems.slice(0, MAX_PRINTED_PROBLEMS).map(formatProblem);
  const more = problems.length - MAX_PRINTED_PROBLEMS;
  if (more > 0) lines.push(`… and ${more} more problem${more === 1 ? '' : 's'} (the first ${MAX_PRINTED_PROBLEMS} are shown)`);
  return lines;
}

/**
 * Problems in the order of the file: those without a position (about the whole file) first,
 * then by line and column; problems at the same place keep the order they were found in.
 */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  const rank = (problem: Problem) => [problem.line ?? 0, problem.column ?? 0] as const;
  return problems
    .map((problem, found) => ({ problem, found }))
    .sort((a, b) => {
      const [lineA, columnA] = rank(a.problem);
      const [lineB, columnB] = rank(b.problem);
      return lineA - lineB || columnA - columnB || a.found - b.found;
    })
    .map(({ problem }) => problem);
}

/**
 * Formats a problem compiler-style, so editors and grep can jump to it:
 * `dag.yaml:12:7: tasks[3].deps[0]: task "b" depends on "x", which is not a task of this DAG`.
 */
export function formatProblem(problem: Problem): string {
  const where = [problem.file, problem.line, problem.line === undefined ? undefined : problem.column]
    .filter((part) => part !== undefined)
    .join(':');
  // the file's top level is where a DAG file's reader looks, not the library's `(dag)`
  const path = problem.path === undefined ? '' : `${problem.path.length === 0 ? 'top level' : formatIssuePath(problem.path)}: `;
  // One problem on one line whatever the message holds; the CLI prints its own "rxdag: " in front.
  const message = problem.message.replace(/\s*\n\s*/g, ' ').replace(/^rxdag: /, '');
  return escapeControls(`${where === '' ? '' : `${where}: `}${path}${message}`);
}

/** A number as the options' help and docs write them: decimal digits, a sign and a fraction at most (`8`, `-1`, `0.5`). */
const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * The number an option's text writes in plain decimal, else `NaN`: what JavaScript's `Number`
 * would also take (`0x10`, `1e3`, `0b11`, `" 4"`, `""`) is no number an option takes, and each
 * option's own check then refuses it as it refuses any other bad value, in its own words.
 *
 * @example
 * optionNumber('16') // 16
 * optionNumber('0x10') // NaN
 */
export function optionNumber(text: string): number {
  return DECIMAL.test(text) ? Number(text) : Number.NaN;
}
