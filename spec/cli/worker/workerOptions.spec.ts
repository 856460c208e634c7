import { writeFileSync } from 'node:fs';
import { InvalidInputError } from '../../../src/cli/problems';
import { resolveWorkerOptions } from '../../../src/cli/worker/workerOptions';
import { tempDir } from '../support/files';

describe('resolveWorkerOptions', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());
  const problemsOf = (run: () => unknown): string[] => {
    try {
      run();
    } catch (error) {
      if (error instanceof InvalidInputError) return error.problems.map((problem) => problem.message);
      throw error;
    }
    return [];
  };

  it('should fill in the defaults: both agents, concurrency 8, a 30 s lease, a 2 s kill grace, no key, no metrics', () => {
    expect(resolveWorkerOptions({ redis: 'redis://127.0.0.1:6379' }, {})).toEqual({
      remote: {
        url: 'redis://127.0.0.1:6379',
        prefix: 'rxdag',
        db: 0,
        key: undefined,
        keySource: undefined,
        insecure: false,
        passwordFromEnv: false,
      },
      concurrency: 8,
      leaseMs: 30_000,
      killGraceMs: 2000,
      agents: ['shell', 'sleep'],
      metricsPort: undefined,
      metricsHost: '127.0.0.1',
      metricsLingerMs: 15_000,
      name: undefined,
    });
  });

  it('should take a name of printable text for --name (containers of one host share pids), and refuse others', () => {
    expect(resolveWorkerOptions({ redis: 'redis://h', name: 'gpu-box-2/worker-a' }, {}).name).toBe('gpu-box-2/worker-a');
    const refused = (name: string) => `--name must be 1 to 200 printable characters, not only spaces (got ${JSON.stringify(name)})`;
    for (const name of ['', '  ', 'a\u001b[2Jb', 'x'.repeat(201), '🚀'.repeat(201)]) {
      expect(problemsOf(() => resolveWorkerOptions({ redis: 'redis://h', name }, {}))).toEqual([refused(name)]);
    }
    // counted in characters, as the message says: 200 emoji are 400 UTF-16 units
    expect(resolveWorkerOptions({ redis: 'redis://h', name: '🚀'.repeat(200) }, {}).name).toBe('🚀'.repeat(200));
  });

  it('should read the key from --key-file, surrounding whitespace ignored, before RXDAG_WORKER_KEY', () => {
    const file = tmp.file('worker.key');
    writeFileSync(file, '  0123456789abcdef0123\n');
    const options = resolveWorkerOptions(
      { redis: 'redis://h', keyFile: file, agents: 'sleep,sleep' },
      { RXDAG_WORKER_KEY: 'x'.repeat(32) },
    );
    expect([options.remote.key?.toString(), options.remote.keySource, options.agents]).toEqual([
      '0123456789abcdef0123',
      `--key-file ${file}`,
      ['sleep'],
    ]);
    const fromEnv = resolveWorkerOptions({ redis: 'redis://h' }, { RXDAG_WORKER_KEY: 'x'.repeat(32) });
    expect([fromEnv.remote.key?.toString(), fromEnv.remote.keySource]).toEqual(['x'.repeat(32), 'RXDAG_WORKER_KEY']);
  });

  it("should take --kill-grace, the time a stopped shell task gets between SIGTERM and SIGKILL, as run's", () => {
    expect(resolveWorkerOptions({ redis: 'redis://h', killGrace: '8000' }, {}).killGraceMs).toBe(8000);
    expect(resolveWorkerOptions({ redis: 'redis://h', killGrace: '0' }, {}).killGraceMs).toBe(0);
    expect(problemsOf(() => resolveWorkerOptions({ redis: 'redis://h', killGrace: '-1' }, {}))).toEqual([
      '--kill-grace must be a whole number of milliseconds from 0 to 2147483647 (got "-1")',
    ]);
  });

  it('should report every bad option at once', () => {
    expect(
      problemsOf(() =>
        resolveWorkerOptions(
          { concurrency: '1.5', leaseMs: '9999999999', agents: ' , ', metricsPort: '-1', keyFile: '/nonexistent/k' },
          {},
        ),
      ),
    ).toEqual([
      '--concurrency must be an integer from 1 to 10000 (got "1.5")',
      '--lease-ms must be at most 2147483647 ms (about 24.8 days), the longest timer Node keeps (got "9999999999")',
      '--metrics-port must be a TCP port from 0 to 65535 (0 picks a free one) (got "-1")',
      '--agents must name at least one agent (shell, sleep)',
      '--redis is required: the Redis that schedulers send attempts through (e.g. --redis redis://127.0.0.1:6379)',
    ]);
    expect(problemsOf(() => resolveWorkerOptions({ redis: 'redis://h', redisPrefix: 'a b' }, { RXDAG_WORKER_KEY: 'short' }))).toEqual([
      '--redis-prefix must be 1 to 200 printable ASCII characters without whitespace, which Redis names its connections after (got "a b")',
      'RXDAG_WORKER_KEY: the key must be at least 16 bytes (got 5); make one with: openssl rand -hex 32 > worker.key',
    ]);
  });

  it('should listen on the address --metrics-host gives, with --metrics-port only', () => {
    expect(resolveWorkerOptions({ redis: 'redis://h', metricsPort: '9464', metricsHost: '::' }, {})).toMatchObject({
      metricsPort: 9464,
      metricsHost: '::',
    });
    expect(problemsOf(() => resolveWorkerOptions({ redis: 'redis://h', metricsHost: '0.0.0.0' }, {}))).toEqual([
      '--metrics-host needs --metrics-port: it says where /metrics listens',
    ]);
    expect(problemsOf(() => resolveWorkerOptions({ redis: 'redis://h', metricsPort: '0', metricsHost: 'pod-ip' }, {}))).toEqual([
      '--metrics-host must be an IP address to listen on, such as 127.0.0.1 (this machine only) or 0.0.0.0 (every IPv4 interface) (got "pod-ip")',
    ]);
  });
});
