/**
 * The two ends of an attempt's outcome: a worker turns what its agent did into an outcome
 * (signed when it has a key), and the scheduler side turns a job's result back into what the
 * agent resolves or rejects with: a `WorkerResult`, a `RemoteAgentError` with the remote
 * severity and retry hint, or the error of a result it cannot trust (`UnauthorizedJobError`) or read
 * (`InvalidJobError`). Pure functions; nothing here talks to Redis.
 */
import { type ErrorInfo, errorInfo, severityOf, type TaskSpec, WorkerResult } from '../index';
import { retryHintOf, warningOutput } from '../agents/agent';
import { escapeControls } from '../dag/text';
import { InvalidJobError, RemoteAgentError, RemoteJobError, UnauthorizedJobError, WorkerLostError } from './errors';
import { FORMAT_VERSION, isPlainSuccess, type Outcome, outcomeSchema } from './jobFormat';
import { otherVersionSignature, signResult, verifySignature } from './signing';

/** Who signs and checks outcomes, and for which queue. */
export interface OutcomeContext {
  readonly queue: string;
  /** The queue's key prefix: results are signed for the queue of one prefix. */
  readonly prefix: string;
  readonly key: Buffer | undefined;
}

/** A successful outcome, signed when there is a key. */
export function successOutcome(
  context: OutcomeContext,
  jobId: string,
  worker: string,
  output: unknown,
  spawned?: readonly TaskSpec[],
): Outcome {
  const outcome: Outcome = { v: FORMAT_VERSION, ok: true, worker };
  if (output !== undefined) outcome.output = output;
  if (spawned !== undefined && spawned.length > 0) outcome.spawned = spawned as unknown as Record<string, unknown>[];
  return signed(context, jobId, outcome);
}

/** A failed outcome from anything thrown: its name, message, severity, retry hint and a warning's output. */
export function failureOutcome(context: OutcomeContext, jobId: string, worker: string, error: unknown): Outcome {
  const { name, message } = errorInfo(error);
  const severity = severityOf(error);
  const failure: Extract<Outcome, { ok: false }>['error'] = { name, message, severity };
  if (severity === 'warning') {
    const output = warningOutput(error);
    if (output !== undefined) failure.output = output;
  }
  const { retry, retryAfterMs, pauseLimits } = retryHintOf(error);
  if (!retry) failure.retry = false;
  if (retryAfterMs !== undefined) failure.retryAfterMs = retryAfterMs;
  if (pauseLimits) failure.pauseLimits = true;
  return signed(context, jobId, { v: FORMAT_VERSION, ok: false, worker, error: failure });
}

/**
 * A success that carries a warning (an agent that completed without a value, or one that threw a
 * warning after spawning tasks), sent as a `warning`-severity error with the output and the tasks
 * spawned: the scheduler side completes the task with that warning and spawns them, as a local
 * attempt does.
 */
export function warningOutcome(
  context: OutcomeContext,
  jobId: string,
  worker: string,
  warning: ErrorInfo,
  output: unknown,
  spawned?: readonly TaskSpec[],
): Outcome {
  const failure: Extract<Outcome, { ok: false }>['error'] = { name: warning.name, message: warning.message, severity: 'warning' };
  if (output !== undefined) failure.output = output;
  const outcome: Outcome = { v: FORMAT_VERSION, ok: false, worker, error: failure };
  if (spawned !== undefined && spawned.length > 0) outcome.spawned = spawned as unknown as Record<string, unknown>[];
  return signed(context, jobId, outcome);
}

function signed(context: OutcomeContext, jobId: string, outcome: Outcome): Outcome {
  if (context.key !== undefined) outcome.signature = signResult(context.key, context, jobId, outcome);
  return outcome;
}

/** What an attempt settles with: a worker's result (and the tasks it spawned), or an error (a warning's, with the tasks spawned before it). */
export type Settlement =
  | { readonly ok: true; readonly result: WorkerResult; readonly spawned: readonly TaskSpec[] | undefined }
  | { readonly ok: false; readonly error: Error; readonly spawned?: readonly TaskSpec[] | undefined };

/** Reads a completed job's result; with a key, only a result signed with it is believed. */
export function settlementOf(context: OutcomeContext, jobId: string, returnvalue: unknown): Settlement {
  // the usual success skips zod (see `isPlainSuccess`)
  const parsed = isPlainSuccess(returnvalue) ? { success: true as const, data: returnvalue } : outcomeSchema.safeParse(returnvalue);
  if (!parsed.success) {
    const worker = claimedWorker(returnvalue);
    const named = worker === undefined ? '' : ` from worker ${worker}`;
    return {
      ok: false,
      error: new InvalidJobError(
        `job "${jobId}" on queue "${context.queue}" finished with a result${named} that is not an rxdag outcome of job format ${FORMAT_VERSION} ` +
          '(is the worker an rxdag worker of the same version? its own lines say why, if it refused the job)',
      ),
    };
  }
  const outcome = parsed.data;
  if (context.key !== undefined && !verifySignature(context.key, 'result', context, jobId, outcome, outcome.signature)) {
    const otherVersion = otherVersionSignature(
      context.key,
      { kind: 'result', place: context, jobId, body: outcome, signature: outcome.signature },
      'scheduler',
    );
    const why =
      otherVersion !== undefined
        ? `its result: ${otherVersion}`
        : outcome.signature === undefined
          ? 'its result is not signed (the worker that took it has no key, or the result was forged); schedulers and workers must share one key'
          : "its result is not signed with this scheduler's key (the worker that took it has another key: the worker's or this scheduler's is not the fleet's, or the result was forged); schedulers and workers must share one key";
    const worker = claimedWorker(outcome);
    const named = worker === undefined ? '' : ` The result names worker ${worker} (unverified).`;
    // a worker that cannot check the job's signature refuses it, and says so signed with its own key
    const refused = !outcome.ok && outcome.error.name === 'UnauthorizedJobError' ? ' It says the worker refused the job: nothing ran.' : '';
    const message = `job "${jobId}" on queue "${context.queue}": ${why}.${named}${refused}`;
    return { ok: false, error: new UnauthorizedJobError(message) };
  }
  if (!outcome.ok) {
    // only a warning is a success that spawns: a failed attempt adds no task
    const spawned = outcome.error.severity === 'warning' ? (outcome.spawned as TaskSpec[] | undefined) : undefined;
    return { ok: false, error: new RemoteAgentError(outcome.error, outcome.worker), spawned };
  }
  return { ok: true, result: new WorkerResult(outcome.output, outcome.worker), spawned: outcome.spawned as TaskSpec[] | undefined };
}

/**
 * The worker a result it refused says it came from, quoted for a message: unverified, but where
 * to look first on a Redis that several workers share. Undefined when it names none.
 */
function claimedWorker(result: unknown): string | undefined {
  const worker = (result as { readonly worker?: unknown } | null)?.worker;
  return typeof worker === 'string' ? JSON.stringify(escapeControls(worker)) : undefined;
}

/** What BullMQ says of a job that stalled more times than its workers allow. */
const STALLED_TOO_OFTEN = 'job stalled more than allowable limit';

/** The settlement of a job BullMQ moved to `failed`: its workers lost it too often, or the worker broke. */
export function failedJobSettlement(queue: string, jobId: string, failedReason: string, leaseLosses: number | undefined): Settlement {
  const error = failedReason.includes(STALLED_TOO_OFTEN)
    ? new WorkerLostError(jobId, leaseLosses)
    : new RemoteJobError(`job "${jobId}" on queue "${queue}" failed on its worker: ${failedReason}`);
  return { ok: false, error };
}

/** `text` parsed as JSON; `undefined` (not an outcome) when it is not JSON. */
export function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
