import { DEFAULT_KILL_GRACE_MS, resolveRunOptions } from '../../../src/cli/commands/runOptions';
import { InvalidInputError } from '../../../src/cli/problems';

describe('resolveRunOptions', () => {
  it('should fill in the defaults and choose live progress only on a terminal', () => {
    expect(resolveRunOptions({}, true)).toEqual({
      maxConcurrency: undefined,
      mode: 'event',
      pollIntervalMs: undefined,
      eventsPath: undefined,
      reportPath: undefined,
      failFast: false,
      output: 'progress',
      metricsHost: '127.0.0.1',
      metricsLingerMs: 15_000,
      killGraceMs: DEFAULT_KILL_GRACE_MS,
      store: undefined,
      journal: true,
      sync: 'fsync',
      history: true,
    });
    expect(resolveRunOptions({}, false).output).toBe('lines');
    expect(resolveRunOptions({ quiet: true }, true).output).toBe('quiet');
    expect(resolveRunOptions({ json: true }, true).output).toBe('json');
  });

  it('should journal unless --no-journal, and refuse --store with --no-journal', () => {
    expect(resolveRunOptions({ store: 'runs' }, false)).toMatchObject({ store: 'runs', journal: true });
    expect(resolveRunOptions({ journal: false }, false)).toMatchObject({ store: undefined, journal: false });
    expect(() => resolveRunOptions({ journal: false, store: 'runs' }, false)).toThrow(
      new InvalidInputError([{ message: '--store and --no-journal cannot be used together (--no-journal writes no journal anywhere)' }]),
    );
  });

  it('should take --sync fsync or none, and refuse it with --no-journal', () => {
    expect(resolveRunOptions({ sync: 'none' }, false).sync).toBe('none');
    expect(resolveRunOptions({ sync: 'fsync' }, false).sync).toBe('fsync');
    expect(() => resolveRunOptions({ sync: 'NONE' }, false)).toThrow(
      new InvalidInputError([{ message: '--sync must be "fsync" or "none" (got "NONE")' }]),
    );
    expect(() => resolveRunOptions({ sync: 'fsync', journal: false }, false)).toThrow(
      new InvalidInputError([{ message: '--sync and --no-journal cannot be used together (--no-journal writes no journal to sync)' }]),
    );
  });

  it("should refuse --kill-grace with --redis: a stopped task's grace is the workers' (rxdag worker --kill-grace)", () => {
    expect(() => resolveRunOptions({ killGrace: '8000', redis: 'redis://127.0.0.1:6379' }, false)).toThrow(
      new InvalidInputError([
        {
          message:
            "--kill-grace and --redis cannot be used together: with --redis the tasks run on the workers, and a stopped task's grace is theirs (rxdag worker --kill-grace MS)",
        },
      ]),
    );
  });

  it('should turn the strings of the command line into numbers and flags', () => {
    expect(
      resolveRunOptions(
        { concurrency: '4', mode: 'polling', pollInterval: '12.5', killGrace: '0', failFast: true, events: 'e.jsonl', report: 'r.html' },
        false,
      ),
    ).toMatchObject({
      maxConcurrency: 4,
      mode: 'polling',
      pollIntervalMs: 12.5,
      killGraceMs: 0,
      failFast: true,
      eventsPath: 'e.jsonl',
      reportPath: 'r.html',
    });
  });

  it.each([
    [{ concurrency: '1.5' }, '--concurrency must be a positive integer (got "1.5")'],
    [{ concurrency: '' }, '--concurrency must be a positive integer (got "")'],
    [{ mode: 'fast' }, '--mode must be "event" or "polling" (got "fast")'],
    [{ mode: 'polling', pollInterval: '-1' }, '--poll-interval must be a positive number of milliseconds (got "-1")'],
    [{ killGrace: 'never' }, '--kill-grace must be a number of milliseconds >= 0 (got "never")'],
    [{ errorLines: '0' }, '--error-lines must be a whole number from 1 to 1000 (got "0")'],
    [{ errorLines: '1001' }, '--error-lines must be a whole number from 1 to 1000 (got "1001")'],
    [{ concurrency: '99999999999999999999' }, '--concurrency must be a positive integer (got "99999999999999999999")'],
    // plain decimal only, as every numeric option: what JavaScript's Number also reads is refused
    [{ concurrency: '0x10' }, '--concurrency must be a positive integer (got "0x10")'],
    [{ concurrency: '1e3' }, '--concurrency must be a positive integer (got "1e3")'],
    [{ concurrency: ' 4' }, '--concurrency must be a positive integer (got " 4")'],
    [{ mode: 'polling', pollInterval: '0x10' }, '--poll-interval must be a positive number of milliseconds (got "0x10")'],
    [{ killGrace: '0b11' }, '--kill-grace must be a number of milliseconds >= 0 (got "0b11")'],
    [
      { killGrace: '3000000000' },
      '--kill-grace must be at most 2147483647 ms (about 24.8 days), the longest timer Node keeps (got "3000000000")',
    ],
    [
      { mode: 'polling', pollInterval: '2147483648' },
      '--poll-interval must be at most 2147483647 ms (about 24.8 days), the longest timer Node keeps (got "2147483648")',
    ],
  ])('should refuse %j', (raw, message) => {
    expect(() => resolveRunOptions(raw, false)).toThrow(new InvalidInputError([{ message }]));
  });

  it('should keep /metrics up 15 s for a last scrape by default (not on a free port), take --metrics-linger with --metrics-port only', () => {
    expect(resolveRunOptions({}, false).metricsLingerMs).toBe(15_000);
    expect(resolveRunOptions({ metricsPort: '9464' }, false).metricsLingerMs).toBe(15_000);
    // a free port chosen at start: no Prometheus was told of it beforehand
    expect(resolveRunOptions({ metricsPort: '0' }, false).metricsLingerMs).toBe(0);
    expect(resolveRunOptions({ metricsPort: '0', metricsLinger: '15000' }, false).metricsLingerMs).toBe(15_000);
    expect(resolveRunOptions({ metricsPort: '9464', metricsLinger: '0' }, false).metricsLingerMs).toBe(0);
    expect(resolveRunOptions({ metricsPort: '0', metricsLinger: '60000' }, false).metricsLingerMs).toBe(60_000);
    expect(() => resolveRunOptions({ metricsLinger: '100' }, false)).toThrow(
      new InvalidInputError([
        { message: '--metrics-linger only applies with --metrics-port (it keeps that endpoint up for a last scrape)' },
      ]),
    );
    for (const value of ['-1', '1.5', 'soon', '']) {
      expect(() => resolveRunOptions({ metricsPort: '0', metricsLinger: value }, false)).toThrow(
        new InvalidInputError([
          { message: `--metrics-linger must be a whole number of milliseconds >= 0 (0: close at once) (got ${JSON.stringify(value)})` },
        ]),
      );
    }
  });

  it('should accept the longest timer Node keeps', () => {
    expect(resolveRunOptions({ mode: 'polling', pollInterval: '2147483647', killGrace: '2147483647' }, false)).toMatchObject({
      pollIntervalMs: 2_147_483_647,
      killGraceMs: 2_147_483_647,
    });
  });
});
