/**
 * One walk over `spec.tasks`: each task is checked by zod and stored in the columns, with the
 * DAG's defaults applied; bad values, duplicate ids and tasks with no agent become issues, every
 * one of a task's problems, not only the first. Does not resolve deps (`buildDepsGraph` does,
 * through {@link ValidatedTasks.depsOf}, and `rejectedDepIssues` for duplicates) or look for cycles.
 */
import { type DagIssue, quoted } from './errors';
import { IdIndex } from './idIndex';
import { isPlainTask } from './plainTask';
import { noAgentIssues, zodIssues } from './issues';
import { idLengthFits, idSchema, type TaskDefaults, type TaskSpec, taskSpecSchema } from './schema';
import { normalizeRetry, TaskColumns } from './taskColumns';

/** The tasks accepted from a spec (every task whose id is usable and not a duplicate). */
export interface ValidatedTasks {
  /** Their fields, trimmed to the accepted tasks. */
  readonly columns: TaskColumns;
  readonly indexById: IdIndex;
  /** Position in `spec.tasks` of each accepted task, for issue paths. */
  readonly specIndexOf: Int32Array;
  /** The dependency ids an accepted task lists, as given (not yet checked against the DAG). */
  readonly depsOf: (task: number) => ListedDeps;
  /** Tasks left out for a duplicate id, with the deps they list: those are still checked. */
  readonly duplicates: readonly RejectedTask[];
}

/** A task that is not in the graph (its id is taken), whose deps must still be checked. */
export interface RejectedTask {
  readonly specIndex: number;
  readonly id: string;
  readonly deps: ListedDeps;
}

/**
 * A task's deps as listed, `undefined` standing for an entry that is not a string (reported
 * already): each keeps its place, so a problem of a later entry is said at that entry.
 */
export type ListedDeps = readonly (string | undefined)[];

/**
 * Checks and stores every task of `rawTasks`, pushing what is wrong to `issues` in spec order.
 * An invalid task with a usable id and deps is still accepted, so the graph checks can report
 * an unknown dependency or a cycle together with its bad values.
 */
export function validateTasks(rawTasks: readonly unknown[], defaults: TaskDefaults | undefined, issues: DagIssue[]): ValidatedTasks {
  // columns, not task objects: a million objects with their deps arrays would double the DAG's memory
  const columns = new TaskColumns(rawTasks.length);
  const indexById = new IdIndex(columns.ids, rawTasks.length);
  const specIndexOf = new Int32Array(rawTasks.length);
  // deps kept only for accepted tasks that failed zod; valid tasks' deps are re-read from the spec
  const fallbackDeps = new Map<number, ListedDeps>();
  const duplicates: RejectedTask[] = [];
  for (let i = 0; i < rawTasks.length; i++) {
    const raw = rawTasks[i];
    const parsed = isPlainTask(raw) ? PLAIN : taskSpecSchema.safeParse(raw);
    if (!parsed.success) issues.push(...zodIssues(parsed.error, ['tasks', i], raw, taskSpecSchema));
    const t = !parsed.success ? usableIdAndDeps(raw) : parsed === PLAIN ? (raw as TaskSpec) : parsed.data;
    if (t === undefined) continue;
    const first = indexById.get(t.id);
    if (first !== undefined) {
      issues.push({
        path: ['tasks', i, 'id'],
        code: 'duplicate-id',
        message: `duplicate task id ${quoted(t.id)} (first used by tasks[${specIndexOf[first]}])`,
      });
    }
    const agent = t.agent ?? defaults?.agent;
    if (agent === undefined) issues.push(...noAgentIssues(['tasks', i, 'agent'], t.id, raw));
    // read as written: a task whose other fields are invalid still gets this problem said
    if ((raw as { when?: unknown }).when === 'any-failed' && (t.deps ?? NO_DEPS).every((depId) => depId === undefined)) {
      const message = `task ${quoted(t.id)} has \`when: any-failed\` but no dependencies: none can fail, so it could never run`;
      issues.push({ path: ['tasks', i, 'when'], code: 'invalid-value', message });
    }
    if (first !== undefined) {
      duplicates.push({ specIndex: i, id: t.id, deps: t.deps ?? NO_DEPS });
      continue;
    }
    specIndexOf[columns.length] = i;
    const index = columns.length;
    if (!parsed.success) fallbackDeps.set(index, t.deps ?? NO_DEPS);
    columns.add(
      t.id,
      agent ?? '',
      t.input,
      t.timeoutMs ?? defaults?.timeoutMs,
      normalizeRetry(t.retry ?? defaults?.retry),
      t.priority ?? defaults?.priority ?? 0,
      t.estimateMs,
    );
    columns.addExtras(t.weight ?? defaults?.weight, t.limits ?? defaults?.limits, t.when);
    indexById.add(index);
  }
  columns.trim();

  // the caller's deps arrays, not zod's copies: those would survive until the graph is built and double peak memory
  const depsOf = (task: number): ListedDeps =>
    (fallbackDeps.size > 0 ? fallbackDeps.get(task) : undefined) ??
    (rawTasks[specIndexOf[task]!] as { deps?: readonly string[] }).deps ??
    NO_DEPS;
  return { columns, indexById, specIndexOf, depsOf, duplicates };
}

const NO_DEPS: ListedDeps = Object.freeze([]);
/** What a task that {@link isPlainTask} accepted counts as: parsed, and read as it is. */
const PLAIN = { success: true, data: undefined } as const;

/**
 * The id and deps (strings in their places) of a task that failed validation, when its id is usable. An agent it
 * gives, even an invalid one (already reported), stands in as an empty name, so only a task that
 * gives none is also told it names no agent.
 */
function usableIdAndDeps(raw: unknown): ({ id: string; deps: ListedDeps } & Partial<Omit<TaskSpec, 'id' | 'deps'>>) | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { id, deps, agent } = raw as { id?: unknown; deps?: unknown; agent?: unknown };
  if (typeof id !== 'string' || id.length === 0 || !idLengthFits(id)) return undefined;
  const strings = listedDeps(deps);
  // an agent named as an id may be reported unknown with the task's other problems; an invalid one is reported already
  const named = typeof agent === 'string' && idSchema.safeParse(agent).success ? agent : '';
  return { id, deps: strings, ...(agent === undefined ? {} : { agent: named }) };
}

/** `deps` of a task that failed validation as {@link ListedDeps}: none when it is not a list. */
export function listedDeps(deps: unknown): ListedDeps {
  return Array.isArray(deps) ? deps.map((depId: unknown) => (typeof depId === 'string' ? depId : undefined)) : NO_DEPS;
}
