import type { TaskContext } from '../../../src/index';

/** A task context for calling an agent directly, as the library would for one attempt. */
export function taskContext(fields: Partial<TaskContext> & Pick<TaskContext, 'input'>): TaskContext {
  return {
    id: 'task',
    runId: 'run-1',
    dagId: 'dag',
    attempt: 1,
    idempotencyKey: `run-1/${fields.id ?? 'task'}`,
    upstream: {},
    signal: new AbortController().signal,
    spawn: () => {
      throw new Error('the CLI agents do not spawn tasks');
    },
    ...fields,
  };
}
