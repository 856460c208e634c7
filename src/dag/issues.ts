/**
 * Problems found in a DAG spec, worded as `DagIssue`s: zod's issues under the spec's paths, a
 * cycle as a readable path, and the DAG id an error can name. Finds nothing itself: the checks
 * that do (`validateTasks`, `buildDepsGraph`, `topologicalOrder`) decide what is wrong.
 */
import type { z } from 'zod';
import { type DagIssue, quoted } from './errors';

/** Zod's issues with `prefix` in front of their paths; an unknown field is named, quoted. */
export function zodIssues(error: z.ZodError, prefix: readonly (string | number)[]): DagIssue[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    let message = issue.message;
    if (issue.code === 'unrecognized_keys')
      message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map(quoted).join(', ')}`;
    return { path, code: 'invalid-value' as const, message };
  });
}

/** The issue for a cycle through `names` (each depending on the next), at the deps of `tasks[specIndex]`. */
export function cycleIssue(names: string[], specIndex: number): DagIssue {
  return {
    path: ['tasks', specIndex, 'deps'],
    code: 'cycle',
    message: `cycle: ${cyclePath(names)} (each task depends on the next)`,
    cycle: Object.freeze(names),
  };
}

/** The spec's id when it is a string, for the error to name; whatever the spec is. */
export function dagIdOf(spec: unknown): string | undefined {
  const id: unknown = (spec as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

/** Most tasks a cycle message names; a 100,000-task cycle shows its ends and its length. */
const CYCLE_NAMES_SHOWN = 60;

/** `a -> b -> c -> a`, shortened in the middle for long cycles. */
function cyclePath(names: readonly string[]): string {
  const ids = names.map((name) => (name.length <= 80 ? name : quoted(name)));
  if (ids.length <= CYCLE_NAMES_SHOWN) return [...ids, ids[0]].join(' -> ');
  const half = CYCLE_NAMES_SHOWN / 2;
  return (
    [...ids.slice(0, half), `… ${ids.length - CYCLE_NAMES_SHOWN} more …`, ...ids.slice(-half), ids[0]].join(' -> ') +
    ` (${ids.length} tasks)`
  );
}
