import { execFile } from 'node:child_process';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { asyncScheduler, lastValueFrom, toArray } from 'rxjs';
import { afterLateTimer } from '../../src/agents/lateTimer';
import { type DagEvent, runDag } from '../../src/index';

/**
 * A process paused past an attempt's time limit (a machine asleep, a stopped process, a blocked
 * event loop) while the attempt's work ended in time: on waking, Node runs the expired timer
 * before the I/O that brought the end; the end is heard first and the attempt completes, also
 * one heard a few round trips later; so does one whose timer a busy loop kept late by less (the
 * verdict waits one turn of I/O). Without a pause, the limit holds as before.
 */
describe('a time limit that ran out during a pause', () => {
  /** Blocks the event loop for `ms`, from a check-phase callback: the loop's next turn runs expired timers before I/O. */
  const pauseAfter = (startMs: number, ms: number) =>
    setTimeout(
      () =>
        setImmediate(() => {
          const until = Date.now() + ms;
          while (Date.now() < until); // the pause
        }),
      startMs,
    );

  const run = (agent: () => Promise<string>, timeoutMs: number): Promise<DagEvent[]> =>
    lastValueFrom(
      runDag({ id: 'd', tasks: [{ id: 'a', agent: 'fn', timeoutMs }] }, { agents: { fn: agent }, healthCheckIntervalMs: 0 }).pipe(
        toArray(),
      ),
    );

  const sleep = (seconds: string) =>
    new Promise<string>((resolve, reject) => execFile('sleep', [seconds], (error) => (error === null ? resolve('done') : reject(error))));

  it.each([
    ['complete an attempt whose process ended in time, heard after the pause', '0.2', ['task.ready', 'task.started', 'task.completed']],
    [
      'still time out an attempt that had not ended when the pause ended',
      '2',
      ['task.ready', 'task.started', 'task.timed-out', 'task.failed'],
    ],
  ])('should %s', async (_what, seconds, types) => {
    // a 600 ms limit; the process pauses from 50 ms to ~1,050 ms, while `sleep` runs
    const events = await run(() => {
      pauseAfter(50, 1000);
      return sleep(seconds);
    }, 600);
    expect(events.filter((event) => 'taskId' in event && event.taskId === 'a').map((event) => event.type)).toEqual(types);
  });

  it('should complete an attempt whose process ended in time while a busy loop kept its timer late by less than a pause', async () => {
    // a 300 ms limit; the loop is busy from 30 ms to ~360 ms (as when many processes start at
    // once), `sleep` ends at ~100 ms: the timer fires ~60 ms late, before the exit is read
    const events = await run(() => {
      pauseAfter(30, 330);
      return sleep('0.1');
    }, 300);
    expect(events.filter((event) => 'taskId' in event && event.taskId === 'a').map((event) => event.type)).toEqual([
      'task.ready',
      'task.started',
      'task.completed',
    ]);
  });

  it('should complete an attempt whose end, come during the pause, takes a few turns to be heard (a remote result read after it)', async () => {
    // the process ended during the pause; what it tells is then read in a few more steps, as a
    // remote agent reads its job's result from Redis
    const events = await run(async () => {
      pauseAfter(50, 1000);
      await sleep('0.2');
      for (let step = 0; step < 3; step++) await new Promise((resolve) => setTimeout(resolve, 5));
      return 'done';
    }, 600);
    expect(events.filter((event) => 'taskId' in event && event.taskId === 'a').map((event) => event.type)).toEqual([
      'task.ready',
      'task.started',
      'task.completed',
    ]);
  });

  it('should let the I/O come while the wait after a late timer was itself kept late be heard before the verdict', async () => {
    // a socket's data arrives while the loop is busy past the end of that wait (from a check-phase
    // callback: the loop's next turn runs the expired timer before it reads the data)
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    const order: string[] = [];
    try {
      const served = await new Promise<Socket>((resolve) => server.once('connection', resolve));
      const heard = new Promise<void>((resolve) => served.once('data', () => resolve(void order.push('data'))));
      const verdict = new Promise<void>((resolve) => afterLateTimer(asyncScheduler, 300, () => resolve(void order.push('verdict'))));
      setTimeout(
        () =>
          setImmediate(() => {
            const until = Date.now() + 600;
            client.write('end'); // the end, come during the busy time
            while (Date.now() < until); // busy past the wait's 300 ms
          }),
        10,
      );
      await Promise.all([heard, verdict]);
      expect(order).toEqual(['data', 'verdict']);
    } finally {
      client.destroy();
      server.close();
    }
  });
});
