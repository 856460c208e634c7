/**
 * The functions an application gives `traceEvents` (`attributes`, `dagIdOf`), called so that
 * nothing they do wrong reaches the run, the event stream or the spans: a throw, or a value of the
 * wrong type, is reported on OpenTelemetry's `diag` logger (where the SDK reports an attribute
 * value it cannot hold) and counts as no value. It also keeps rxdag's attribute names (`rxdag.*`)
 * for rxdag. It does not choose which events call the hook, nor touch a span: `RunSpans` does.
 */
import { type Attributes, diag } from '@opentelemetry/api';
import { describeValue } from '../dag/text';
import type { DagEvent } from '../events';

/** The `attributes` option of `traceEvents`: the application's attributes for the span an event starts, changes or ends. */
export type AttributesHook = (event: DagEvent) => Attributes | undefined;

/** How rxdag's own attribute names start: the hook's names that start so are left out. */
const RXDAG_NAMES = 'rxdag.';

/**
 * The attributes `hook` gives for `event`, without the names rxdag keeps; `undefined` when there is
 * no hook, or it gives none (`undefined` or `null`), throws, or returns something else than an
 * object of attributes.
 */
export function attributesFor(hook: AttributesHook | undefined, event: DagEvent): Attributes | undefined {
  if (hook === undefined) return undefined;
  let returned: unknown;
  try {
    returned = hook(event);
  } catch (error) {
    diag.error(`rxdag/otel: \`attributes\` threw for ${eventName(event)}; the span has rxdag's attributes only`, error);
    return undefined;
  }
  if (returned === undefined || returned === null) return undefined;
  if (typeof returned !== 'object' || Array.isArray(returned) || typeof (returned as Partial<PromiseLike<unknown>>).then === 'function') {
    diag.error(
      `rxdag/otel: \`attributes\` must return an object of attributes or undefined (got ${returnedValue(returned)} for ${eventName(event)})${isThenable(returned) ? ': return the attributes themselves' : ''}`,
    );
    return undefined;
  }
  return withoutRxdagNames(returned as Attributes, event);
}

/** The DAG id `dagIdOf` gives for a run first seen at its `run.resumed`; `undefined` when it throws or gives no string. */
export function dagIdFor(dagIdOf: (runId: string) => string | undefined, runId: string): string | undefined {
  let dagId: unknown;
  try {
    dagId = dagIdOf(runId);
  } catch (error) {
    diag.error(`rxdag/otel: \`dagIdOf\` threw for run "${runId}"; its span is named rxdag.run`, error);
    return undefined;
  }
  if (dagId === undefined || typeof dagId === 'string') return dagId;
  diag.error(`rxdag/otel: \`dagIdOf\` must return a DAG id (a string) or undefined (got ${describeValue(dagId)} for run "${runId}")`);
  return undefined;
}

function withoutRxdagNames(attributes: Attributes, event: DagEvent): Attributes {
  const taken = Object.keys(attributes).filter((name) => name.startsWith(RXDAG_NAMES));
  if (taken.length === 0) return attributes;
  diag.warn(
    `rxdag/otel: \`attributes\` returned names rxdag keeps for its own (${taken.join(', ')}) for ${eventName(event)}; they are left out`,
  );
  const kept = { ...attributes };
  for (const name of taken) delete kept[name];
  return kept;
}

/** `task.completed of task "a" (attempt 1) in run "r1"`, `dag.completed of run "r1"`. */
function eventName(event: DagEvent): string {
  return 'taskId' in event
    ? `${event.type} of task "${event.taskId}" (attempt ${event.attempt}) in run "${event.runId}"`
    : `${event.type} of run "${event.runId}"`;
}

/** Like `describeValue`, naming a promise: the hook is called while the span is open, and does not wait. */
function returnedValue(returned: unknown): string {
  return isThenable(returned) ? 'a promise' : describeValue(returned);
}

function isThenable(value: unknown): boolean {
  return typeof (value as Partial<PromiseLike<unknown>> | null)?.then === 'function';
}
