import type { Observation } from './observation';
import { eventsByTask, type Violations } from './taskEvents';

/** Checks over the scheduler as a whole: limits, idle slots, and agent calls against task.started. */

/** Running attempts, counted from the events in global order, never exceed the limits. */
export function checkConcurrency(o: Observation, v: Violations): void {
  const running = new Map<string, string>(); // run/task -> kind
  const byKind = new Map<string, number>();
  for (const event of o.global) {
    const key = 'taskId' in event ? `${event.runId}/${event.taskId}` : '';
    if (event.type === 'task.started') {
      if (running.has(key)) v.push(`${key} started while already running`);
      running.set(key, event.agent);
      byKind.set(event.agent, (byKind.get(event.agent) ?? 0) + 1);
      if (running.size > o.options.maxConcurrency)
        v.push(`t=${event.at}: ${running.size} attempts running (events), maxConcurrency ${o.options.maxConcurrency}`);
      const capacity = o.kinds.get(event.agent)?.capacity;
      if (capacity !== undefined && byKind.get(event.agent)! > capacity)
        v.push(`t=${event.at}: ${byKind.get(event.agent)} ${event.agent} attempts running (events), capacity ${capacity}`);
    } else if (event.type === 'task.completed' || event.type === 'task.failed' || event.type === 'task.cancelled') {
      const kind = running.get(key);
      if (kind !== undefined) {
        running.delete(key);
        byKind.set(kind, byKind.get(kind)! - 1);
      }
    } else if (event.type === 'agent.available') {
      if (o.kinds.get(event.agent)?.capacity === undefined)
        v.push(`${event.runId}: agent.available for ${event.agent}, which has no capacity`);
    }
  }
}

/**
 * Event mode dispatches in the frame a slot frees: at the end of every frame, no kind may have a
 * ready task while both the scheduler and that kind have a free slot.
 */
export function checkWorkConserving(o: Observation, v: Violations): void {
  const ready = new Map<string, Set<string>>(); // kind -> run/task
  const running = new Map<string, string>();
  const byKind = new Map<string, number>();
  const kindOf = new Map<string, string>();
  for (const run of o.runs) for (const t of run.tasks.values()) kindOf.set(`${run.runId}/${t.id}`, t.kind);
  const check = (at: number) => {
    for (const [kind, waiting] of ready) {
      if (waiting.size === 0) continue;
      const capacity = o.kinds.get(kind)?.capacity ?? Number.POSITIVE_INFINITY;
      if (running.size < o.options.maxConcurrency && (byKind.get(kind) ?? 0) < capacity) {
        v.push(
          `t=${at}: ${[...waiting][0]} waits (kind ${kind}) with ${running.size}/${o.options.maxConcurrency} running and ${byKind.get(kind) ?? 0}/${capacity} of its kind`,
        );
        return;
      }
    }
  };
  const global = o.global;
  for (let i = 0; i < global.length; i++) {
    const event = global[i]!;
    if ('taskId' in event) {
      const key = `${event.runId}/${event.taskId}`;
      const kind = kindOf.get(key) ?? (event.type === 'task.started' ? event.agent : '?');
      const queue = ready.get(kind) ?? new Set<string>();
      ready.set(kind, queue);
      switch (event.type) {
        case 'task.ready':
        case 'task.retrying':
          queue.add(key);
          break;
        case 'task.started':
          queue.delete(key);
          running.set(key, kind);
          byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
          break;
        case 'task.completed':
        case 'task.failed':
        case 'task.cancelled':
        case 'task.skipped':
          queue.delete(key);
          if (running.delete(key)) byKind.set(kind, byKind.get(kind)! - 1);
          break;
        default:
          break;
      }
    }
    const next = global[i + 1];
    if (next === undefined || next.at !== event.at) check(event.at);
    if (v.length > 50) return;
  }
}

/** One agent call per task.started, in its frame; each call's work over when its attempt ended. */
export function checkAgentCalls(o: Observation, v: Violations): void {
  const calls = new Map(o.calls.map((c) => [`${c.runId}/${c.taskId}#${c.attempt}`, c]));
  if (calls.size !== o.calls.length) v.push(`${o.calls.length - calls.size} attempts called their agent more than once`);
  let starts = 0;
  for (const run of o.runs) {
    const byTask = eventsByTask(run.events);
    for (const list of byTask.values()) {
      list.forEach((e, i) => {
        if (e.type !== 'task.started') return;
        starts++;
        const key = `${run.runId}/${e.taskId}#${e.attempt}`;
        const call = calls.get(key);
        if (call === undefined) {
          v.push(`${key}: task.started, but its agent was never called`);
          return;
        }
        if (call.calledAt !== e.at) v.push(`${key}: agent called at ${call.calledAt}, started at ${e.at}`);
        const end = list.slice(i + 1).find((x) => x.type === 'task.completed' || x.type === 'task.failed' || x.type === 'task.cancelled');
        if (end !== undefined && (call.endedAt === undefined || call.endedAt > end.at))
          v.push(`${key}: agent still working at ${end.at} when its attempt ended (${end.type}); work ended at ${call.endedAt}`);
      });
    }
  }
  if (starts !== o.calls.length) v.push(`${o.calls.length} agent calls for ${starts} task.started events`);
}
