import { events, type DagEvent } from '../../../src/index';
import { whereItWas } from '../../../src/cli/output/resumeLine';

/** What the line a resume starts with says of where the run was when it stopped. */
describe('where a resumed run was', () => {
  const runId = 'r';
  let seq = 0;
  const at = 0;
  const error = { name: 'Error', message: 'exit 1' };
  const started = (taskId: string, attempt = 1) => events.taskStarted({ runId, seq: ++seq, at, taskId, attempt, agent: 'shell' });
  const failed = (taskId: string, willRetry: boolean, attempt = 1) =>
    events.taskFailed({ runId, seq: ++seq, at, taskId, attempt, error, severity: 'error', willRetry });
  const history = (...more: DagEvent[]): DagEvent[] => [events.dagCreated({ runId, seq: 0, at, dagId: 'd', taskCount: 5 }), ...more];

  it('should count the completed tasks out of all, and say what runs again', () => {
    const run = history(
      started('a'),
      events.taskCompleted({ runId, seq: ++seq, at, taskId: 'a', attempt: 1, durationMs: 1 }),
      started('b'),
    );
    expect(whereItWas(run, ['b'], false, false)).toBe('1/5 tasks had completed; running again: b');
  });

  it('should say how many failed or were skipped, and which wait for a retry, when any did', () => {
    const run = history(
      started('bad'),
      failed('bad', false),
      events.taskSkipped({ runId, seq: ++seq, at, taskId: 'after-bad', attempt: 0, because: 'bad' }),
      started('flaky'),
      failed('flaky', true),
      started('again'),
      failed('again', true),
      started('again', 2),
      started('long'),
    );
    expect(whereItWas(run, ['again', 'long'], false, false)).toBe(
      '0/5 tasks had completed (1 failed, 1 skipped); waiting to retry: flaky; running again: again, long',
    );
  });

  it('should say that a run whose cancellation the journal holds part of is ended, running nothing (the resume finishes the cancellation)', () => {
    const run = history(
      started('bad'),
      failed('bad', false),
      started('flaky'),
      failed('flaky', true),
      started('long'),
      started('cut'),
      events.taskCancelled({ runId, seq: ++seq, at, taskId: 'cut', attempt: 1 }),
    );
    expect(whereItWas(run, ['long'], false, false)).toBe(
      '0/5 tasks had completed (1 failed); it was ending early (tasks cancelled): the rest is cancelled now, nothing runs',
    );
  });
});
