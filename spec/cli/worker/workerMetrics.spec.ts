import { AttemptHandedBackError, type TaskContext } from '../../../src/index';
import { startWorkerMetrics } from '../../../src/cli/worker/workerMetrics';

/**
 * A worker's metrics count an attempt by how it ended: one stopped (cancelled, timed out) counts
 * as stopped even when its agent ignored the stop and returned or threw afterwards.
 */
describe('rxdag worker metrics', () => {
  /** A task context whose signal the test fires, with `reason`. */
  function stoppable(): { task: TaskContext; stop(reason: Error): void } {
    const controller = new AbortController();
    const task = { id: 't', signal: controller.signal } as unknown as TaskContext;
    return { task, stop: (reason) => controller.abort(reason) };
  }

  function timeoutError(): Error {
    const error = new Error('timed out');
    error.name = 'TaskTimeoutError';
    return error;
  }

  it('should count an attempt stopped before its agent returned or threw as stopped, and the others as they ended', async () => {
    const metrics = await startWorkerMetrics(0, ['w']);
    try {
      let settle: ((ok: boolean | Error) => void) | undefined;
      const { w } = metrics.instrument({
        w: () =>
          new Promise(
            (resolve, reject) => (settle = (ok) => (ok === true ? resolve('done') : reject(ok === false ? new Error('boom') : ok))),
          ),
      });
      // given back for another worker to run (no room to start it here): not a failure
      const handedBack = new AttemptHandedBackError('t', 'this worker had no room to start it (EMFILE)');
      const ends: [ok: boolean | Error, stop?: Error][] = [
        [true, new Error('cancelled')],
        [false, timeoutError()],
        [true],
        [false],
        [false, new Error('lease')],
        [handedBack],
      ];
      for (const [ok, stop] of ends) {
        const { task, stop: fire } = stoppable();
        const result = Promise.resolve(w!(task)).catch(() => undefined);
        if (stop !== undefined) fire(stop);
        settle!(ok);
        await result;
      }
      await new Promise((resolve) => setImmediate(resolve));
      const text = await (await fetch(metrics.url)).text();
      const count = (outcome: string) =>
        new RegExp(`^rxdag_worker_attempts_total\\{agent="w",outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1];
      expect([count('completed'), count('failed'), count('timed-out'), count('cancelled')]).toEqual(['1', '1', '1', '3']);
      expect(text).toMatch(/^rxdag_worker_running_attempts\{agent="w"\} 0$/m);
    } finally {
      await metrics.close();
    }
  });
});
