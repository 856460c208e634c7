import type { DagEvent } from '../../index';

/**
 * One human-readable line for an event (continuation lines indented, for multi-line errors),
 * prefixed with the time since the run started: the output of `rxdag run` when it is not on a
 * terminal. Every field a reader needs is there; `--json` gives the exact objects.
 *
 * @example
 * formatEvent(event, 0) // "[   0.412s] task.completed build #1 in 398 ms"
 */
export function formatEvent(event: DagEvent, runStartedAt: number): string {
  const time = `[${((event.at - runStartedAt) / 1000).toFixed(3).padStart(8)}s]`;
  return `${time} ${describeEvent(event)}`.replace(/\n/g, `\n${' '.repeat(time.length + 1)}`);
}

function describeEvent(event: DagEvent): string {
  switch (event.type) {
    case 'dag.created':
      return `dag.created ${event.dagId}: ${event.taskCount} task${event.taskCount === 1 ? '' : 's'} (run ${event.runId})`;
    case 'task.ready':
      return `task.ready ${event.taskId}`;
    case 'task.started':
      return `task.started ${event.taskId} #${event.attempt} on ${event.agent}`;
    case 'task.completed':
      return `task.completed ${event.taskId} #${event.attempt} in ${event.durationMs} ms${event.warning === undefined ? '' : ` with warning: ${event.warning.message}`}`;
    case 'task.failed':
      return `task.failed ${event.taskId} #${event.attempt} (${event.severity}${event.willRetry ? ', will retry' : ''}): ${event.error.name}: ${event.error.message}`;
    case 'task.retrying':
      return `task.retrying ${event.taskId} #${event.attempt}`;
    case 'tasks.spawned': {
      const ids = event.tasks.map((task) => task.id);
      return `tasks.spawned by ${event.taskId} #${event.attempt}: ${ids.length} task${ids.length === 1 ? '' : 's'} (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''})`;
    }
    case 'task.timed-out':
      return `task.timed-out ${event.taskId} #${event.attempt} after ${event.timeoutMs} ms`;
    case 'task.stuck':
      return `task.stuck ${event.taskId} #${event.attempt}: running for ${event.runningForMs} ms`;
    case 'task.skipped':
      return `task.skipped ${event.taskId}: dependency ${event.because} failed`;
    case 'task.cancelled':
      return `task.cancelled ${event.taskId} #${event.attempt}`;
    case 'agent.available':
      return `agent.available ${event.agent}`;
    case 'health.checked':
      return `health.checked running ${event.running}, ready ${event.ready}, pending ${event.pending}`;
    case 'dag.completed': {
      const { total, completed, failed, skipped, cancelled } = event.counts;
      return `dag.completed ${event.outcome}: ${completed}/${total} completed, ${failed} failed, ${skipped} skipped, ${cancelled} cancelled in ${(event.durationMs / 1000).toFixed(2)} s`;
    }
  }
}
