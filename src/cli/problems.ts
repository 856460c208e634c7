import { formatIssuePath } from '../index';

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
  constructor(readonly problems: readonly Problem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

/**
 * Formats a problem compiler-style, so editors and grep can jump to it:
 * `dag.yaml:12:7: tasks[3].deps[0]: task "b" depends on "x", which is not a task of this DAG`.
 */
export function formatProblem(problem: Problem): string {
  const where = [problem.file, problem.line, problem.line === undefined ? undefined : problem.column]
    .filter((part) => part !== undefined)
    .join(':');
  const path = problem.path === undefined ? '' : `${formatIssuePath(problem.path)}: `;
  // Keep one problem on one line, whatever the message holds.
  const message = problem.message.replace(/\s*\n\s*/g, ' ');
  return `${where === '' ? '' : `${where}: `}${path}${message}`;
}
