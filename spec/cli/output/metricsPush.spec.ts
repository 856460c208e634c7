import { Registry, Pushgateway, Counter } from 'prom-client';
import { Subject } from 'rxjs';
import type { DagEvent } from '../../../src/index';
import { openRunMetrics } from '../../../src/cli/output/metricsEndpoint';
import { checkMetricsPush, exitCodeAfterPush, pushGroupingOf, pushMetrics } from '../../../src/cli/output/metricsPush';
import { InvalidInputError, type Problem } from '../../../src/cli/problems';
import { startFakePushgateway } from '../support/fakePushgateway';

describe('checkMetricsPush', () => {
  it.each(['http://localhost:9091', 'https://push.example.com/gateway', 'http://user:secret@127.0.0.1:9091/'])(
    'should take %j as it is',
    (value) => {
      const problems: Problem[] = [];
      expect(checkMetricsPush(value, problems)).toBe(value);
      expect(problems).toEqual([]);
    },
  );

  it.each([
    ['ftp://push.example.com', 'ftp://push.example.com'],
    ['localhost:9091', 'localhost:9091'],
    ['push.example.com', 'push.example.com'],
    ['', ''],
    ['http://', 'http://'],
    ['redis://user:secret@host:6379', 'redis://user:***@host:6379'],
    ['http://u:ab/cd9@127.0.0.1:1/', 'http://u:***@127.0.0.1:1/'],
    ['http://u:p@ss@host:notaport/', 'http://u:***@host:notaport/'],
  ])('should refuse %j with one problem naming the flag, never quoting a password', (value, quoted) => {
    const problems: Problem[] = [];
    expect(checkMetricsPush(value, problems)).toBeUndefined();
    const escapes = /\/cd|#/.test(value) ? ' (a password holding / ? # or \\ is written %2F %3F %23 %5C)' : '';
    expect(problems).toEqual([
      {
        message: `--metrics-push must be the http:// or https:// URL of a Prometheus Pushgateway, such as http://localhost:9091 (got ${JSON.stringify(quoted)})${escapes}`,
      },
    ]);
  });

  it('should show no part of a password holding an @ and a ? or # unencoded', () => {
    for (const url of [
      'http://admin:p@ss?word@pushgw:9091',
      'https://admin:Sup3r@Secret#42@pushgw.example.com',
      'http://admin:xy@Secret\\z@pushgw:9091',
    ]) {
      const problems: Problem[] = [];
      checkMetricsPush(url, problems);
      expect(problems.map((problem) => problem.message).join('\n')).not.toMatch(/ss\?word|Secret/);
    }
  });

  it('should say how to write a password holding a character that ends the host', () => {
    const problems: Problem[] = [];
    expect(checkMetricsPush('http://u:S3C#RET@gw:9091/', problems)).toBeUndefined();
    expect(problems.map((problem) => problem.message)).toEqual([
      '--metrics-push must be the http:// or https:// URL of a Prometheus Pushgateway, such as http://localhost:9091 (got "http://u:***@gw:9091/") (a password holding / ? # or \\ is written %2F %3F %23 %5C)',
    ]);
  });

  it.each([
    [
      'http://u:secret@gw:9091/?token=s3cret',
      'http://u:***@gw:9091/ holds a query or a fragment (?…, #…), which the push drops: give the URL without',
    ],
    ['http://gw:9091/#top', 'http://gw:9091/ holds a query or a fragment (?…, #…), which the push drops: give the URL without'],
    // a password with a # or ? in it, its digits read as a port: hidden before the query is left out
    ['http://u:1234#5x@gw:9091', 'http://u:***@gw:9091 holds a query or a fragment (?…, #…), which the push drops: give the URL without'],
    [
      'http://gw:9091/metrics//job/x',
      "http://gw:9091/metrics//job/x holds the push path (/metrics/job/…), which rxdag adds: give the Pushgateway's own URL, such as http://localhost:9091",
    ],
    [
      'http://gw:9091/METRICS/job/x',
      "http://gw:9091/METRICS/job/x holds the push path (/metrics/job/…), which rxdag adds: give the Pushgateway's own URL, such as http://localhost:9091",
    ],
    [
      'http://gw:9091/metrics/job',
      "http://gw:9091/metrics/job holds the push path (/metrics/job/…), which rxdag adds: give the Pushgateway's own URL, such as http://localhost:9091",
    ],
    ...[
      ['http://gw:9091/metrics/job@base64/eA', 'http://gw:9091/metrics/job@base64/eA'],
      // (with credentials, an @ in the path may be the password's: all before the last is hidden)
      ['http://u:pw@gw:9091/metrics/job@base64/eA', 'http://u:***@base64/eA'],
      ['http://gw:9091/metrics/job%40base64/eA', 'http://gw:9091/metrics/job%40base64/eA'],
      ['http://gw:9091/metrics%2Fjob/x', 'http://gw:9091/metrics%2Fjob/x'],
    ].map(([url, shown]) => [
      url,
      `${shown} holds the push path (/metrics/job/…), which rxdag adds: give the Pushgateway's own URL, such as http://localhost:9091`,
    ]),
    [
      'http://gw/pg/metrics/job/rxdag/',
      "http://gw/pg/metrics/job/rxdag/ holds the push path (/metrics/job/…), which rxdag adds: give the Pushgateway's own URL, such as http://localhost:9091",
    ],
  ])('should refuse %j, which would not push where it says', (value, said) => {
    const problems: Problem[] = [];
    expect(checkMetricsPush(value, problems)).toBeUndefined();
    expect(problems).toEqual([{ message: `--metrics-push ${said}` }]);
  });

  it('should leave an absent flag absent', () => {
    const problems: Problem[] = [];
    expect(checkMetricsPush(undefined, problems)).toBeUndefined();
    expect(problems).toEqual([]);
  });
});

describe('pushGroupingOf', () => {
  it('should group by the DAG id as it is', () => {
    expect(pushGroupingOf('nightly-etl')).toEqual({ dag: 'nightly-etl' });
  });

  it('should base64url-encode an id with a slash, which a Pushgateway path cannot hold otherwise', () => {
    expect(pushGroupingOf('team/nightly')).toEqual({ 'dag@base64': Buffer.from('team/nightly').toString('base64url') });
  });

  it('should base64url-encode the ids . and .., which a URL path resolves away (their pushes landed in another group)', () => {
    expect(pushGroupingOf('.')).toEqual({ 'dag@base64': 'Lg' });
    expect(pushGroupingOf('..')).toEqual({ 'dag@base64': 'Li4' });
    expect(pushGroupingOf('...')).toEqual({ dag: '...' });
  });
});

describe('pushMetrics', () => {
  const registryWithOne = () => {
    const registry = new Registry();
    new Counter({ name: 'x_total', help: 'X.', registers: [registry] }).inc(3);
    return registry;
  };

  it('should PUT the registry to job rxdag, grouped by the DAG, and resolve with undefined', async () => {
    const gateway = await startFakePushgateway();
    try {
      expect(await pushMetrics({ Pushgateway }, registryWithOne(), gateway.url, 'etl')).toBeUndefined();
      expect(gateway.requests).toEqual([
        { method: 'PUT', path: '/metrics/job/rxdag/dag/etl', body: expect.stringContaining('x_total 3\n') },
      ]);
    } finally {
      await gateway.close();
    }
  });

  it('should give up on a gateway that never answers after its time, closing the connection', async () => {
    const gateway = await startFakePushgateway({ kind: 'never' });
    try {
      const started = Date.now();
      const failure = await pushMetrics({ Pushgateway }, registryWithOne(), gateway.url, 'etl', 300);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(failure).toBe(`rxdag: cannot push the metrics to the Pushgateway ${gateway.url}: no answer within 0.3 s`);
      // the abort reaches the server a moment later
      let open = await gateway.openConnections();
      for (let tries = 0; open > 0 && tries < 50; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        open = await gateway.openConnections();
      }
      expect(open).toBe(0);
    } finally {
      await gateway.close();
    }
  });

  it('should name the status and the first line of an error answer, its control characters escaped', async () => {
    const gateway = await startFakePushgateway({ kind: 'error', status: 400, body: '\n  bad \u001b[2J label set\nmore\n' });
    try {
      expect(await pushMetrics({ Pushgateway }, registryWithOne(), gateway.url, 'etl')).toBe(
        `rxdag: cannot push the metrics to the Pushgateway ${gateway.url}: it answered HTTP 400: bad \\u001b[2J label set`,
      );
    } finally {
      await gateway.close();
    }
  });

  it("should name the words of an HTML error page, not its first line's doctype", async () => {
    const page =
      '<!DOCTYPE HTML>\n<html>\n<head>\n<title>Error response</title>\n</head>\n<body>\n<h1>Error response</h1>\n' +
      '<p>Message: Unsupported method (&#x27;PUT&#x27;).</p>\n</body>\n</html>\n';
    const gateway = await startFakePushgateway({ kind: 'error', status: 501, body: page });
    try {
      expect(await pushMetrics({ Pushgateway }, registryWithOne(), gateway.url, 'etl')).toBe(
        `rxdag: cannot push the metrics to the Pushgateway ${gateway.url}: it answered HTTP 501: Error response Message: Unsupported method ('PUT').`,
      );
    } finally {
      await gateway.close();
    }
  });

  it('should read &#39; as an apostrophe in an HTML error page, and leave other character references as written', async () => {
    const page = '<!DOCTYPE html><html><body><p>can&#39;t store &#27;this&#27; &amp; that</p></body></html>';
    const gateway = await startFakePushgateway({ kind: 'error', status: 500, body: page });
    try {
      expect(await pushMetrics({ Pushgateway }, registryWithOne(), gateway.url, 'etl')).toBe(
        `rxdag: cannot push the metrics to the Pushgateway ${gateway.url}: it answered HTTP 500: can't store &#27;this&#27; & that`,
      );
    } finally {
      await gateway.close();
    }
  });

  it('should never print the password of the URL', async () => {
    const gateway = await startFakePushgateway({ kind: 'error', status: 401, body: '' });
    const withPassword = gateway.url.replace('http://', 'http://user:secret@');
    try {
      expect(await pushMetrics({ Pushgateway }, registryWithOne(), withPassword, 'etl')).toBe(
        `rxdag: cannot push the metrics to the Pushgateway ${gateway.url.replace('http://', 'http://user:***@')}: it answered HTTP 401`,
      );
    } finally {
      await gateway.close();
    }
  });
});

describe('exitCodeAfterPush', () => {
  const failing = async () => 'rxdag: cannot push the metrics to the Pushgateway http://gw: it answered HTTP 500';
  const fine = async () => undefined;

  it.each([
    [0, 'fails', 74],
    [1, 'fails', 1],
    [74, 'fails', 74],
    [130, 'fails', 130],
    [143, 'fails', 143],
    [0, 'works', 0],
    [1, 'works', 1],
  ])('should turn exit %d, when the push %s, into %d', async (code, how, expected) => {
    const printed: string[] = [];
    const result = await exitCodeAfterPush(code, how === 'fails' ? failing : fine, 'etl', { write: (text: string) => printed.push(text) });
    expect(result).toBe(expected);
    expect(printed).toEqual(how === 'fails' ? [`${await failing()}\n`] : []);
  });

  it('should push nothing for a command that ran nothing (exit 2), nor without the flag', async () => {
    const push = jest.fn(failing);
    expect(await exitCodeAfterPush(2, push, 'etl', { write: () => true })).toBe(2);
    expect(push).not.toHaveBeenCalled();
    expect(await exitCodeAfterPush(0, undefined, 'etl', { write: () => true })).toBe(0);
  });
});

describe('openRunMetrics', () => {
  const missing = () => {
    throw Object.assign(new Error("Cannot find module 'prom-client'\nRequire stack: …"), { code: 'MODULE_NOT_FOUND' });
  };

  it('should load nothing when neither flag is given', async () => {
    const load = jest.fn(missing);
    expect(
      await openRunMetrics(new Subject<DagEvent>(), { port: undefined, pushUrl: undefined }, { write: () => true }, load),
    ).toBeUndefined();
    expect(load).not.toHaveBeenCalled();
  });

  it.each([
    [{ port: undefined, pushUrl: 'http://gw:9091' }, '--metrics-push needs'],
    [{ port: 0, pushUrl: 'http://gw:9091' }, '--metrics-port and --metrics-push need'],
  ])('should say to install prom-client when it is missing (%j)', async (options, words) => {
    await expect(openRunMetrics(new Subject<DagEvent>(), options, { write: () => true }, missing)).rejects.toEqual(
      new InvalidInputError([{ message: `${words} the prom-client package, which is not installed: npm install prom-client` }]),
    );
  });

  it('should push without serving anything with --metrics-push alone', async () => {
    const printed: string[] = [];
    const metrics = (await openRunMetrics(
      new Subject<DagEvent>(),
      { port: undefined, pushUrl: 'http://gw:9091' },
      { write: (text: string) => printed.push(text) },
    ))!;
    try {
      expect(metrics.url).toBeUndefined();
      expect(metrics.push).toEqual(expect.any(Function));
      expect(printed).toEqual([]);
    } finally {
      await metrics.close();
    }
  });
});
