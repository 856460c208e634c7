/**
 * What travels through Redis for one attempt: the BullMQ job id (run, task and attempt, escaped
 * so it holds no `:`), the job data a worker needs to rebuild the task's context (checked with
 * zod on arrival), and the outcome a worker returns (output or error with its severity). The
 * shapes only: signing them is `signing.ts`, sending them is `remoteQueue.ts`, running them is
 * `jobRunner.ts`.
 */
import { z } from 'zod';
import type { TaskContext } from '../index';
import { MAX_TIMER_MS } from '../dag/schema';
import { escapeControls, quoted } from '../dag/text';
import { jsonBytes, jsonLength, jsonSafetyProblem } from '../jsonSafe';
import { InputNotJsonSafeError, JobTooLargeError } from './errors';
import { type SignedQueue, signJob } from './signing';

/** Version of the job data and outcome shapes; a worker refuses shapes it does not know. */
export const FORMAT_VERSION = 1;

/** The Redis key prefix of rxdag's queues unless `prefix` says otherwise. */
export const DEFAULT_PREFIX = 'rxdag';

/** `%`, `:` (BullMQ refuses it in ids) and `|` (the separator below), percent-encoded. */
function escapeIdPart(text: string): string {
  return text.replace(/[%:|]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/**
 * The job id of one attempt: `run|task|attempt`, each part escaped, so the same attempt always
 * has the same id (a resumed scheduler finds it again) and two attempts never share one.
 *
 * @example
 * jobIdFor('nightly:42', 'build', 1) // 'nightly%3A42|build|1'
 */
export function jobIdFor(runId: string, taskId: string, attempt: number): string {
  return `${escapeIdPart(runId)}|${escapeIdPart(taskId)}|${attempt}`;
}

const text = z.string().max(4096);

/**
 * The error of an attempt whose task input JSON would not keep as it is (the job carries it as
 * JSON: the worker's agent would be given another value), or `undefined`.
 */
export function unsendableInput(task: TaskContext): InputNotJsonSafeError | undefined {
  const problem = inputProblem(task.input);
  if (problem === undefined) return undefined;
  return new InputNotJsonSafeError(
    `input of task ${quoted(task.id)} is not JSON-safe: ${escapeControls(problem)}; a remote agent sends it to workers as JSON`,
  );
}

/** Problems of the inputs checked already, by input: a task's input is the same object on each attempt, and its check copies it. */
const checkedInputs = new WeakMap<object, string | null>();

/** What JSON would not keep of `input`, checked once per object. */
function inputProblem(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return input === undefined ? undefined : jsonSafetyProblem(input);
  let problem = checkedInputs.get(input);
  if (problem === undefined) checkedInputs.set(input, (problem = jsonSafetyProblem(input) ?? null));
  return problem ?? undefined;
}

/** The data of one job: what `TaskContext` holds that is data, and how long the job may wait. */
export const jobDataSchema = z.strictObject({
  v: z.literal(FORMAT_VERSION),
  runId: text,
  dagId: text,
  id: text,
  attempt: z.number().int().min(1),
  idempotencyKey: text,
  input: z.unknown().optional(),
  upstream: z.record(z.string(), z.unknown()),
  /** The task's time limit when the scheduler knows it; the worker stops the attempt past it too. */
  timeoutMs: z.number().positive().finite().optional(),
  /** When it was signed (ms since the epoch). */
  issuedAt: z.number().finite(),
  /** A worker refuses to start the job after this (ms since the epoch); set when signed. */
  expiresAt: z.number().finite().optional(),
  /** `v2=<hex HMAC-SHA256>` when the scheduler has a key. */
  signature: z.string().max(256).optional(),
});

/** The data of one job. */
export type JobData = z.infer<typeof jobDataSchema>;

/** The fields {@link jobDataSchema} knows, for {@link isPlainJobData}. */
const JOB_DATA_FIELDS = new Set(Object.keys(jobDataSchema.shape));

/**
 * Whether `data` is job data in the shape schedulers of this version write, checked by hand:
 * a shortcut past zod, which takes tens of µs a parse for the first thousands of jobs of a fresh
 * worker process. It accepts nothing {@link jobDataSchema} refuses (a spec holds it to that);
 * whatever it does not accept goes through the schema, which decides and says what is wrong.
 */
export function isPlainJobData(data: unknown): data is JobData {
  if (!isPlainObject(data)) return false;
  for (const field in data) if (!JOB_DATA_FIELDS.has(field)) return false;
  const { v, runId, dagId, id, attempt, idempotencyKey, upstream, timeoutMs, issuedAt, expiresAt, signature } = data as Record<
    string,
    unknown
  >;
  return (
    v === FORMAT_VERSION &&
    isText(runId, 4096) &&
    isText(dagId, 4096) &&
    isText(id, 4096) &&
    isText(idempotencyKey, 4096) &&
    Number.isSafeInteger(attempt) &&
    (attempt as number) >= 1 &&
    isPlainObject(upstream) &&
    Object.getOwnPropertySymbols(upstream).length === 0 &&
    (timeoutMs === undefined || (Number.isFinite(timeoutMs) && (timeoutMs as number) > 0)) &&
    Number.isFinite(issuedAt) &&
    (expiresAt === undefined || Number.isFinite(expiresAt)) &&
    (signature === undefined || isText(signature, 256))
  );
}

function isPlainObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

function isText(value: unknown, maxLength: number): boolean {
  return typeof value === 'string' && value.length <= maxLength;
}

const severity = z.enum(['warning', 'error', 'critical']);

/** What a worker returns as the job's result: the attempt's outcome and who ran it. */
export const outcomeSchema = z.discriminatedUnion('ok', [
  z.strictObject({
    v: z.literal(FORMAT_VERSION),
    ok: z.literal(true),
    worker: text,
    output: z.unknown().optional(),
    /** Tasks the agent asked for with `spawn`; the scheduler side spawns them. */
    spawned: z.array(z.record(z.string(), z.unknown())).optional(),
    signature: z.string().max(256).optional(),
  }),
  z.strictObject({
    v: z.literal(FORMAT_VERSION),
    ok: z.literal(false),
    worker: text,
    error: z.strictObject({
      name: z.string(),
      message: z.string(),
      severity,
      /** A `warning`'s output. */
      output: z.unknown().optional(),
      /** The agent's error asked for no other attempt. */
      retry: z.literal(false).optional(),
      /** The agent's error asked for this wait before the next attempt. */
      retryAfterMs: z.number().min(0).max(MAX_TIMER_MS).optional(),
      /** The agent's error asked to pause the task's limits for `retryAfterMs`. */
      pauseLimits: z.literal(true).optional(),
    }),
    /** Tasks the agent spawned before a `warning` (a success with a note); the scheduler side spawns them. */
    spawned: z.array(z.record(z.string(), z.unknown())).optional(),
    signature: z.string().max(256).optional(),
  }),
]);

/** What a worker returns as the job's result. */
export type Outcome = z.infer<typeof outcomeSchema>;

/** The fields of a success that spawned nothing, for {@link isPlainSuccess}. */
const PLAIN_SUCCESS_FIELDS = new Set(['v', 'ok', 'worker', 'output', 'signature']);

/**
 * Whether `outcome` is a success that spawned nothing, checked by hand: the same shortcut past
 * zod as {@link isPlainJobData}, for the scheduler side. It accepts nothing
 * {@link outcomeSchema} refuses; every other outcome goes through the schema.
 */
export function isPlainSuccess(outcome: unknown): outcome is Outcome {
  if (!isPlainObject(outcome)) return false;
  for (const field in outcome) if (!PLAIN_SUCCESS_FIELDS.has(field)) return false;
  const { v, ok, worker, signature } = outcome as Record<string, unknown>;
  return v === FORMAT_VERSION && ok === true && isText(worker, 4096) && (signature === undefined || isText(signature, 256));
}

/** How a queue's jobs are signed: not at all without a key. */
export interface JobSigning extends SignedQueue {
  readonly key: Buffer | undefined;
  /** A signed job expires this long (plus its timeout) after it is made. */
  readonly signatureTtlMs: number;
}

/**
 * Most characters of JSON a job carries in its input and its dependencies' outputs. Why: Redis
 * keeps a value of at most 512 MB, a string holds at most ~512 Mi characters, and a job several
 * hundred MB big took longer to add than a command may wait (the attempt failed as if Redis were
 * away, and its job was added and run all the same).
 */
export const MAX_JOB_CHARS = 128 * 1024 * 1024;

/**
 * Most bytes of JSON (UTF-8) a worker sends back in an attempt's result (its output and what it
 * spawned), for the same reasons: BullMQ writes a result twice (the job and its events stream), and
 * one past Redis's 512 MB was refused as a protocol error, the worker reconnecting time after time.
 */
export const MAX_RESULT_BYTES = 128 * 1024 * 1024;

/**
 * The {@link JobTooLargeError} of a result that carries more than {@link MAX_RESULT_BYTES}, or
 * undefined when it fits.
 */
export function resultTooLarge(taskId: string, output: unknown, spawned: readonly unknown[] | undefined): JobTooLargeError | undefined {
  const bytes = (output === undefined ? 0 : jsonBytes(output)) + (spawned === undefined ? 0 : jsonBytes(spawned));
  if (bytes <= MAX_RESULT_BYTES) return undefined;
  return new JobTooLargeError(
    `task ${quoted(taskId)}: its result would carry ${bytes} bytes of JSON (its output${spawned === undefined || spawned.length === 0 ? '' : ' and the tasks it spawned'}), ` +
      `more than a worker sends back through Redis (${MAX_RESULT_BYTES}): return less (put big data in storage and return where it is)`,
  );
}

/** The job data of one attempt, signed when there is a key; throws a {@link JobTooLargeError} for one over {@link MAX_JOB_CHARS}. */
export function signedJobData(task: TaskContext, jobId: string, signing: JobSigning): JobData {
  const now = issueTime();
  const data = jobDataFor(task, timeoutOf(task), now);
  const inputChars = data.input === undefined ? 0 : jsonLength(data.input);
  const chars = inputChars + jsonLength(data.upstream);
  if (chars > MAX_JOB_CHARS) {
    const deps = Object.keys(data.upstream).length;
    const outputs = deps === 0 ? '' : ` and the outputs of its ${deps === 1 ? 'dependency' : `${deps} dependencies`}`;
    const instead =
      inputChars > MAX_JOB_CHARS ? '' : ', or run it without context injection (contextInjection: false) and fetch what it needs itself';
    throw new JobTooLargeError(
      `task ${quoted(task.id)}: its job would carry ${chars} characters of JSON (its input${outputs}), more than a job may ` +
        `(${MAX_JOB_CHARS}): keep what it is sent smaller${instead}`,
    );
  }
  if (signing.key !== undefined) {
    data.expiresAt = now + signing.signatureTtlMs + (data.timeoutMs ?? 0);
    data.signature = signJob(signing.key, signing, jobId, data);
  }
  return data;
}

let lastIssued = 0;

/**
 * Now, in ms since the epoch, and later than any time this process issued before (by 1/1024 ms
 * when the clock has not moved): a job's `issuedAt` tells its add from another of the same id,
 * which a cancel names (see `cancelSignals.ts`).
 */
function issueTime(): number {
  lastIssued = Math.max(Date.now(), lastIssued + 1 / 1024);
  return lastIssued;
}

/** The job data of one attempt, unsigned. */
export function jobDataFor(task: TaskContext, timeoutMs: number | undefined, now: number): JobData {
  const data: JobData = {
    v: FORMAT_VERSION,
    runId: task.runId,
    dagId: task.dagId,
    id: task.id,
    attempt: task.attempt,
    idempotencyKey: task.idempotencyKey,
    input: task.input,
    upstream: { ...task.upstream },
    issuedAt: now,
  };
  if (timeoutMs !== undefined) data.timeoutMs = timeoutMs;
  return data;
}

/**
 * The task's time limit, when the context carries one. `TaskContext` does not (yet) say it; a
 * context that has a numeric `timeoutMs` gets it into the job, so workers stop the attempt too.
 */
export function timeoutOf(task: TaskContext): number | undefined {
  const value = (task as { readonly timeoutMs?: unknown }).timeoutMs;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** A zod error as one line: `path: message; path: message`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length === 0 ? '(data)' : issue.path.join('.')}: ${issue.message}`)
    .join('; ');
}

/**
 * Whether the job data `found` in Redis under an attempt's job id is another run's than `mine`
 * (a scheduler re-attaching to a job finds either its own run's attempt, resumed, or a job of
 * another run that has the same run id on this prefix): what tells them apart, named, e.g.
 * `DAG "report"`; undefined when it is this attempt's (its task, DAG, input and upstream; when it
 * was signed may differ). Data that is not job data at all is another's too.
 */
export function otherRunsJob(mine: JobData, found: unknown): string | undefined {
  if (!isPlainObject(found)) return 'data that is not an rxdag job';
  const theirs = found as Partial<Record<keyof JobData, unknown>>;
  if (theirs.dagId !== mine.dagId) return `DAG ${JSON.stringify(theirs.dagId)}`;
  if (theirs.runId !== mine.runId || theirs.id !== mine.id || theirs.attempt !== mine.attempt) return 'another attempt';
  if (JSON.stringify(theirs.input) !== JSON.stringify(mine.input))
    return `DAG ${JSON.stringify(mine.dagId)} with another input for task ${JSON.stringify(mine.id)}`;
  if (JSON.stringify(theirs.upstream) !== JSON.stringify(mine.upstream))
    return `DAG ${JSON.stringify(mine.dagId)} with other outputs upstream of task ${JSON.stringify(mine.id)}`;
  return undefined;
}
