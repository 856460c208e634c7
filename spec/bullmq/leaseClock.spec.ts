import { checkLeases, RunningJob } from '../../src/bullmq/jobRunner';

/**
 * A worker's own check of its leases, on the monotonic clock: a wall clock stepped forward (an NTP
 * step, a VM resumed) does not stop a job whose lease it renews, and one it stopped renewing
 * is stopped after a lease all the same. Real timers, a few hundred milliseconds.
 */
describe('checkLeases', () => {
  afterEach(() => jest.restoreAllMocks());

  it('should keep a renewed job running when the wall clock jumps two minutes ahead, and stop one left unrenewed', async () => {
    const renewed = new RunningJob('q', 'run|a|1', undefined);
    const left = new RunningJob('q', 'run|b|1', undefined);
    const stopped: string[] = [];
    for (const job of [renewed, left]) jest.spyOn(job, 'stop').mockImplementation((reason) => void stopped.push(`${job.jobId} ${reason}`));
    const stop = checkLeases(() => [renewed, left], 300);
    const wall = Date.now();
    jest.spyOn(Date, 'now').mockImplementation(() => wall + 120_000);
    const renewing = setInterval(() => renewed.renewed(), 50);
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(stopped).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(new Set(stopped)).toEqual(new Set(['run|b|1 lease-lost'])); // looked at every third of a lease
    } finally {
      clearInterval(renewing);
      stop();
    }
  });
});
