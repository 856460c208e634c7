import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkOtlpUrl, openRunTraces } from '../../src/cli/output/otlpTraces';
import { InvalidInputError, type Problem } from '../../src/cli/problems';
import { NEVER } from 'rxjs';
import { tempDir, writeText } from './support/files';
import { ensureBuilt, runCli, startCli } from './support/builtCli';
import { waitUntil } from './support/journaledRuns';

/** A span as OTLP/HTTP's JSON carries it. */
interface OtlpSpan {
  readonly name: string;
  readonly attributes: readonly { key: string; value: { stringValue?: string } }[];
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly traceId: string;
}

/** A collector of OTLP/HTTP JSON posts on a free port of this machine, until closed. */
async function collector(): Promise<{ url: string; posts: { path: string; body: string }[]; spans(): OtlpSpan[]; close(): Promise<void> }> {
  const posts: { path: string; body: string }[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      posts.push({ path: request.url ?? '', body });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  type Export = { resourceSpans: { resource: unknown; scopeSpans: { spans: OtlpSpan[] }[] }[] };
  return {
    url: `http://127.0.0.1:${port}`,
    posts,
    spans: () =>
      posts.flatMap(({ body }) => (JSON.parse(body) as Export).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// the built CLI, in a process of its own: the OTLP exporter loads its transport with import(), which jest's module system refuses
describe('rxdag run --otlp', () => {
  const tmp = tempDir();
  beforeAll(ensureBuilt, 120_000);
  afterAll(() => tmp.remove());
  const dag = () =>
    writeText(
      tmp.file('traced.yaml'),
      'id: traced\ntasks:\n  - { id: a, run: "true" }\n  - { id: b, deps: [a], run: "exit 1", retry: { attempts: 2, backoffMs: 10 } }\n',
    );

  it("should send the run's span and a child span per attempt to the collector, the run's exit code kept", async () => {
    const otlp = await collector();
    try {
      const result = await runCli(['run', dag(), '--no-journal', '--quiet', '--otlp', otlp.url]);
      expect(result.code).toBe(1); // b failed: the spans change nothing of it
      expect(otlp.posts.map((post) => post.path)).toContain('/v1/traces');
      const spans = otlp.spans();
      const run = spans.find((span) => span.name === 'rxdag.run traced')!;
      expect(spans.map((span) => span.name).sort()).toEqual(['rxdag.run traced', 'rxdag.task a', 'rxdag.task b', 'rxdag.task b']);
      for (const span of spans.filter((one) => one !== run)) expect(span).toMatchObject({ parentSpanId: run.spanId, traceId: run.traceId });
      expect(otlp.posts[0]!.body).toContain('{"key":"service.name","value":{"stringValue":"rxdag"}}');
    } finally {
      await otlp.close();
    }
  });

  it('should end the spans of a run left interrupted by SIGTERM as interrupted: its resume runs those attempts again', async () => {
    const otlp = await collector();
    try {
      const started = tmp.file('slow-started');
      const file = writeText(
        tmp.file('halted.yaml'),
        `id: halted\ntasks:\n  - { id: a, run: "true" }\n  - { id: b, deps: [a], run: "touch '${started}'; sleep 20" }\n`,
      );
      const run = startCli(['run', file, '--store', tmp.file('halted-store'), '--quiet', '--otlp', otlp.url]);
      await waitUntil(() => existsSync(started), 'task b to start');
      run.child.kill('SIGTERM');
      expect((await run.done).code).toBe(143);
      const outcome = (span: OtlpSpan) => span.attributes.find((attribute) => attribute.key === 'rxdag.outcome')?.value.stringValue;
      const spans = otlp.spans();
      expect(spans.map((span) => [span.name, outcome(span)]).sort()).toEqual([
        ['rxdag.run halted', 'interrupted'],
        ['rxdag.task a', 'completed'],
        ['rxdag.task b', 'interrupted'],
      ]);
    } finally {
      await otlp.close();
    }
  }, 30_000);

  it('should say the spans it could not send and exit 74 for a run that succeeded', async () => {
    const otlp = await collector();
    await otlp.close(); // nothing listens there now
    const ok = writeText(tmp.file('ok.yaml'), 'id: ok\ntasks:\n  - { id: a, run: "true" }\n');
    const result = await runCli(['run', ok, '--no-journal', '--quiet', '--otlp', `${otlp.url}/v1/traces`]);
    expect(result.code).toBe(74);
    expect(result.stderr).toMatch(
      new RegExp(`^rxdag: cannot send the run's spans to ${otlp.url}/v1/traces: .*ECONNREFUSED.* \\(2 of 2 spans not sent\\)\\n$`, 'm'),
    );
  }, 20_000);
});

describe('--otlp URL', () => {
  const check = (value: string) => {
    const problems: Problem[] = [];
    return { url: checkOtlpUrl(value, problems), problems: problems.map((problem) => problem.message) };
  };

  it("should add OTLP/HTTP's /v1/traces to a URL without a path, and keep any other", () => {
    expect(check('http://localhost:4318')).toEqual({ url: 'http://localhost:4318/v1/traces', problems: [] });
    expect(check('https://otel.example.com/')).toEqual({ url: 'https://otel.example.com/v1/traces', problems: [] });
    expect(check('http://collector:4318/custom/traces')).toEqual({ url: 'http://collector:4318/custom/traces', problems: [] });
    expect(check('http://localhost:4318?tenant=a')).toEqual({ url: 'http://localhost:4318/v1/traces?tenant=a', problems: [] });
  });

  it('should refuse what is not an http or https URL, a password not quoted back', () => {
    for (const value of ['ftp://x', 'localhost:4318', '', 'http://'])
      expect(check(value).problems).toEqual([
        expect.stringMatching(/^--otlp must be the http:\/\/ or https:\/\/ URL of an OpenTelemetry collector/),
      ]);
    for (const value of ['grpc://u:secret@h:4317', 'http://u:secret@127.0.0.1:99999', 'http://u:secret@[::1'])
      expect(check(value).problems[0]).not.toContain('secret');
  });

  it('should say in one line which packages to install when the OpenTelemetry ones are missing', () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module '@opentelemetry/exporter-trace-otlp-http'"), { code: 'MODULE_NOT_FOUND' });
    };
    expect(() => openRunTraces(NEVER, 'http://localhost:4318/v1/traces', undefined, missing)).toThrow(InvalidInputError);
    expect(() => openRunTraces(NEVER, 'http://localhost:4318/v1/traces', undefined, missing)).toThrow(
      /--otlp needs the OpenTelemetry packages: npm install .*@opentelemetry\/exporter-trace-otlp-http/,
    );
  });
});
