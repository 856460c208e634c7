import { Subject } from 'rxjs';
import { events, type DagEvent } from '../../../src/index';
import { checkMetricsPort, openMetricsEndpoint } from '../../../src/cli/output/metricsEndpoint';
import { InvalidInputError, type Problem } from '../../../src/cli/problems';
import { parsePrometheusText, sampleValue } from '../support/promText';

describe('checkMetricsPort', () => {
  it.each([
    ['0', 0],
    ['9464', 9464],
    ['65535', 65535],
  ])('should take %j as port %d', (value, port) => {
    const problems: Problem[] = [];
    expect(checkMetricsPort(value, problems)).toBe(port);
    expect(problems).toEqual([]);
  });

  it.each(['65536', '-1', '1.5', '1e3', '0x10', '022', ' 80 ', 'abc', ''])(
    'should refuse %j with one problem naming the flag and the value',
    (value) => {
      const problems: Problem[] = [];
      expect(checkMetricsPort(value, problems)).toBeUndefined();
      expect(problems).toEqual([
        { message: `--metrics-port must be a TCP port from 0 to 65535 (0 picks a free one) (got ${JSON.stringify(value)})` },
      ]);
    },
  );

  it('should leave an absent flag absent', () => {
    const problems: Problem[] = [];
    expect(checkMetricsPort(undefined, problems)).toBeUndefined();
    expect(problems).toEqual([]);
  });
});

describe('openMetricsEndpoint', () => {
  it('should count the events into /metrics on a free port, print its URL, and close', async () => {
    const events$ = new Subject<DagEvent>();
    const printed: string[] = [];
    const endpoint = await openMetricsEndpoint(events$, 0, { write: (text: string) => printed.push(text) });
    try {
      expect(endpoint.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(printed).toEqual([`rxdag: metrics at ${endpoint.url}\n`]);
      const at = { runId: 'r', at: 0 };
      events$.next(events.dagCreated({ ...at, seq: 1, dagId: 'd', taskCount: 1 }));
      events$.next(events.taskReady({ ...at, seq: 2, taskId: 'a', attempt: 1 }));
      events$.next(events.taskStarted({ ...at, seq: 3, taskId: 'a', attempt: 1, agent: 'sleep' }));
      const families = parsePrometheusText(await (await fetch(endpoint.url)).text());
      expect(sampleValue(families, 'rxdag_running_tasks')).toBe(1);
    } finally {
      await endpoint.close();
    }
    await expect(fetch(endpoint.url)).rejects.toThrow();
  });

  it('should say to install prom-client when it is missing', async () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module 'prom-client'\nRequire stack: …"), { code: 'MODULE_NOT_FOUND' });
    };
    await expect(openMetricsEndpoint(new Subject<DagEvent>(), 0, { write: () => true }, missing)).rejects.toEqual(
      new InvalidInputError([{ message: '--metrics-port needs the prom-client package, which is not installed: npm install prom-client' }]),
    );
  });
});

describe('the strict exposition parser of the specs', () => {
  it('should read families, labels with escapes and special values', () => {
    const families = parsePrometheusText(
      '# HELP x_total X.\n# TYPE x_total counter\nx_total{a="q\\"\\\\\\n",b=""} 2\n\n# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 0.5\nh_count 1\n',
    );
    expect(families.get('x_total')).toEqual({
      type: 'counter',
      help: 'X.',
      samples: [{ name: 'x_total', labels: { a: 'q"\\\n', b: '' }, value: 2 }],
    });
    expect(sampleValue(families, 'h_bucket', { le: '+Inf' })).toBe(1);
  });

  it.each([
    ['a sample without a TYPE', 'y 1\n'],
    ['a sample of another family', '# TYPE x counter\nx_bucket 1\n'],
    ['a value that is not a number', '# TYPE x gauge\nx one\n'],
    ['an unquoted label value', '# TYPE x gauge\nx{a=b} 1\n'],
    ['a bad escape', '# TYPE x gauge\nx{a="\\t"} 1\n'],
    ['a series twice', '# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n'],
    ['a TYPE after samples', '# TYPE x gauge\nx 1\n# TYPE x gauge\n'],
    ['no final newline', '# TYPE x gauge\nx 1'],
  ])('should refuse %s', (_, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
