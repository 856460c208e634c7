/**
 * The top of a DAG spec, checked as a whole but used part by part: a bad id, an unknown field or
 * a bad default is reported without hiding the tasks' own problems, and defaults with a bad field
 * still lend their good fields to the tasks (so no task is also blamed for lacking an agent the
 * defaults do give). Does not look inside the tasks: `validateTasks` does.
 */
import { type DagIssue, quoted } from './errors';
import { zodIssues } from './issues';
import { dagHeadSchema, type TaskDefaults, taskDefaultsSchema } from './schema';

/** What the rest of `defineDag` can use of a spec's top level. */
export interface SpecHead {
  /** The tasks to check, or `undefined` when the spec has no list of them. */
  readonly tasks: readonly unknown[] | undefined;
  /** The defaults as given when they are valid, else their valid fields (`undefined` when there are none). */
  readonly defaults: TaskDefaults | undefined;
}

/** Checks the top of `spec`, pushing its problems (not the tasks') to `issues`. */
export function checkSpecHead(spec: unknown, issues: DagIssue[]): SpecHead {
  const parsed = dagHeadSchema.safeParse(spec);
  // the caller's own list, not zod's copy: at a million tasks a second array is megabytes of garbage
  if (parsed.success) return { tasks: (spec as { tasks: readonly unknown[] }).tasks, defaults: parsed.data.defaults };
  for (const issue of zodIssues(parsed.error, [], spec, dagHeadSchema)) issues.push(asRunOption(issue));
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return { tasks: undefined, defaults: undefined };
  const { tasks, defaults } = spec as { tasks?: unknown; defaults?: unknown };
  return { tasks: Array.isArray(tasks) ? tasks : undefined, defaults: usableDefaults(defaults) };
}

/** Options of a run that a spec may be given by mistake: a DAG file has `limits:`, and other tools keep the rest in the DAG. */
const RUN_OPTIONS: ReadonlySet<string> = new Set([
  'agents',
  'limits',
  'maxConcurrency',
  'failurePolicy',
  'journal',
  'contextInjection',
  'taskTimeoutMs',
  'runId',
  'metadata',
  'mode',
  'pollIntervalMs',
  'healthCheckIntervalMs',
  'stuckAfterMs',
  'scheduler',
]);

/** An unknown top-level field that is an option of the run, said so. */
function asRunOption(issue: DagIssue): DagIssue {
  const { field } = issue;
  if (issue.path.length > 0 || field === undefined || !RUN_OPTIONS.has(field)) return issue;
  return {
    ...issue,
    message: `unknown field ${quoted(field)}: it is an option of the run, given to runDag or createScheduler (options.${field}), not a field of the DAG`,
  };
}

/** The fields of `defaults` that are valid on their own; an invalid `agent` still counts as given. */
function usableDefaults(defaults: unknown): TaskDefaults | undefined {
  if (typeof defaults !== 'object' || defaults === null || Array.isArray(defaults)) return undefined;
  const given = defaults as Record<string, unknown>;
  const usable: Record<string, unknown> = {};
  for (const [field, schema] of Object.entries(taskDefaultsSchema.shape)) {
    if (given[field] === undefined) continue;
    const parsed = schema.safeParse(given[field]);
    // the DAG is invalid already; an empty agent keeps its tasks from being blamed for naming none
    if (parsed.success) usable[field] = parsed.data;
    else if (field === 'agent') usable[field] = '';
  }
  return Object.keys(usable).length === 0 ? undefined : (usable as TaskDefaults);
}
