import type { DagEvent, TaskCompletedEvent, TaskEvent } from '../events';
import { hasKeys, jsonNumber, jsonString } from './jsonText';

/**
 * The JSON text of an event, exactly what `JSON.stringify(event)` gives: the three events every
 * task writes (`task.ready`, `task.started`, `task.completed`) are put together from fixed pieces
 * and their fields when they have the keys, the order and the field types the scheduler's event
 * writer gives them; every other event goes through `JSON.stringify`.
 * Why: `JSON.stringify` walking three small objects per task was most of a journaled run's cost.
 * It reads events and never changes them; it checks nothing of their meaning (the reducer does).
 */

/** Gives the JSON text of one event (no newline); made by {@link eventLineEncoder}. */
export type EventLineEncoder = (event: DagEvent) => string;

const READY_KEYS = ['type', 'runId', 'seq', 'at', 'taskId', 'attempt'];
const STARTED_KEYS = [...READY_KEYS, 'agent'];
/** `output`, `warning` and `worker` are optional, in this order. */
const COMPLETED_KEYS = [...READY_KEYS, 'durationMs', 'output', 'warning', 'worker'];
const COMPLETED_REQUIRED = READY_KEYS.length + 1;

/** Agent names one encoder keeps quoted, at most (a run has a handful). */
const MAX_QUOTED_AGENTS = 64;

/**
 * A new encoder, with its own memory of the quoted run id and agent names: one per journal writer.
 *
 * @example
 * const line = eventLineEncoder();
 * line(event) === JSON.stringify(event) // true, only sooner for the events every task writes
 */
export function eventLineEncoder(): EventLineEncoder {
  // the pieces every line of a run starts with, made again when the run id changes: a writer
  // appends the events of one run
  let runId: string | undefined;
  let readyStart = '';
  let startedStart = '';
  let completedStart = '';
  // `,"at":…,"taskId":` of the last `at`: the events of a flush share one clock reading
  let at: number | undefined;
  let atPiece = '';
  // `,"agent":…}` of the agents seen, the end of a `task.started`
  const agentEnds = new Map<string, string>();

  /** `{"type":…,"runId":…,"seq":…,"at":…,"taskId":…,"attempt":…` of a hot task event. */
  const head = (event: TaskEvent): string => {
    if (event.runId !== runId) {
      runId = event.runId;
      const quoted = jsonString(runId);
      readyStart = `{"type":"task.ready","runId":${quoted},"seq":`;
      startedStart = `{"type":"task.started","runId":${quoted},"seq":`;
      completedStart = `{"type":"task.completed","runId":${quoted},"seq":`;
    }
    if (event.at !== at) {
      at = event.at;
      atPiece = `,"at":${jsonNumber(at)},"taskId":`;
    }
    const start = event.type === 'task.ready' ? readyStart : event.type === 'task.started' ? startedStart : completedStart;
    const attempt = event.attempt === 1 ? ',"attempt":1' : `,"attempt":${jsonNumber(event.attempt)}`;
    return `${start}${jsonNumber(event.seq)}${atPiece}${jsonString(event.taskId)}${attempt}`;
  };
  const agentEnd = (agent: string): string => {
    let end = agentEnds.get(agent);
    if (end === undefined) {
      end = `,"agent":${jsonString(agent)}}`;
      if (agentEnds.size < MAX_QUOTED_AGENTS) agentEnds.set(agent, end);
    }
    return end;
  };

  return (event) => {
    switch (event.type) {
      case 'task.ready':
        if (hasKeys(event, READY_KEYS) && hasTaskHead(event)) return `${head(event)}}`;
        break;
      case 'task.started':
        if (hasKeys(event, STARTED_KEYS) && hasTaskHead(event) && typeof event.agent === 'string') {
          return `${head(event)}${agentEnd(event.agent)}`;
        }
        break;
      case 'task.completed':
        if (hasKeys(event, COMPLETED_KEYS, COMPLETED_REQUIRED) && hasTaskHead(event) && typeof event.durationMs === 'number') {
          return `${head(event)},"durationMs":${jsonNumber(event.durationMs)}${completedRest(event)}}`;
        }
        break;
    }
    return JSON.stringify(event);
  };
}

/** The fields every task event starts with are of the types the pieces are written for. */
function hasTaskHead(event: TaskEvent): boolean {
  return (
    typeof event.runId === 'string' &&
    typeof event.seq === 'number' &&
    typeof event.at === 'number' &&
    typeof event.taskId === 'string' &&
    typeof event.attempt === 'number'
  );
}

/**
 * `,"output":…,"warning":…,"worker":…` of a `task.completed`: each only when set, so empty for a
 * task without output on a local agent.
 */
function completedRest(event: TaskCompletedEvent): string {
  const { output, warning, worker } = event;
  if (output === undefined && warning === undefined && worker === undefined) return '';
  return `${field('output', output)}${field('warning', warning)}${field('worker', worker)}`;
}

/** `,"key":value`, or nothing where `JSON.stringify` leaves the key out (no JSON text for the value). */
function field(key: string, value: unknown): string {
  if (value === undefined) return '';
  const text = typeof value === 'string' ? jsonString(value) : (JSON.stringify(value) as string | undefined);
  return text === undefined ? '' : `,"${key}":${text}`;
}
