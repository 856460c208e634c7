/**
 * `--otlp URL`: the spans of a command's run (`rxdag/otel`: one for the run, a child for each
 * attempt) sent to an OpenTelemetry collector over OTLP/HTTP (JSON) as the run goes, and what is
 * left when it ends. The OpenTelemetry SDK and its OTLP exporter are loaded only here, when the
 * flag is given, so a command without it never loads them; a missing package is invalid input
 * (exit 2), found before anything runs. A collector that does not take the spans never changes
 * what the run did: one line on stderr when it ends (how many spans were lost, and why), and exit
 * 74 only for a run that succeeded, as for `--metrics-push`.
 *
 * It does not say what the spans are (`rxdag/otel` does) nor when the command ends.
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Observable } from 'rxjs';
import type { DagEvent } from '../../index';
import { installCommand } from '../../peerDependency';
import { withoutPassword } from '../../urlCredentials';
import { escapeControls } from '../../dag/text';
import { ExitCode } from '../exitCodes';
import { InvalidInputError, type Problem } from '../problems';

/** What `--otlp` loads on demand. */
export interface OtlpModules {
  readonly otel: typeof import('../../observe/otel');
  readonly sdk: typeof import('@opentelemetry/sdk-trace-base');
  readonly exporter: typeof import('@opentelemetry/exporter-trace-otlp-http');
  readonly resources: typeof import('@opentelemetry/resources');
}

/** The packages `--otlp` needs besides rxdag. */
export const OTLP_PACKAGES = [
  '@opentelemetry/api',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/resources',
] as const;

/** Longest the last spans may take to reach the collector when the command ends. */
export const OTLP_FLUSH_MS = 5000;

/** A run's spans on their way to a collector. */
export interface RunTraces {
  /** Once the run ended: sends what is left, and resolves with the line that says what was lost, if anything (once: a second call gets the same). */
  finish(): Promise<string | undefined>;
}

/**
 * The URL `--otlp` names (`/v1/traces` added to one without a path, as OTLP/HTTP's collectors
 * listen), or undefined when absent or wrong (a problem added: the CLI reports every bad option at
 * once). A password in the URL is never quoted back.
 */
export function checkOtlpUrl(value: string | undefined, problems: Problem[]): string | undefined {
  if (value === undefined) return undefined;
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    const shown = escapeControls(withoutPassword(value));
    problems.push({
      message: `--otlp must be the http:// or https:// URL of an OpenTelemetry collector, e.g. http://localhost:4318 (got "${shown}")`,
    });
    return undefined;
  }
  if (url.pathname === '/') url.pathname = '/v1/traces';
  return url.toString();
}

/**
 * Sends the spans of `events$` to the collector at `url` (see the module), or does nothing
 * without one. Throws `InvalidInputError` when a package it needs is not installed.
 */
export function openRunTraces(
  events$: Observable<DagEvent>,
  url: string | undefined,
  /** When tracing ends before the run does: its journal halted (SIGTERM), so its running attempts' spans end `interrupted`, as its resume runs them again. */
  until?: Promise<void>,
  load: () => OtlpModules = loadOtlp,
): RunTraces | undefined {
  if (url === undefined) return undefined;
  const shown = escapeControls(withoutPassword(url));
  const { otel, sdk, exporter, resources } = loadOrRefuse(load);
  // every batch left at the end goes out at once (the flush): the exporter's 30 at a time would fail the rest
  const otlp = new exporter.OTLPTraceExporter({ url, timeoutMillis: OTLP_FLUSH_MS, concurrencyLimit: 1024 });
  let ended = 0;
  let sent = 0;
  let failure: string | undefined;
  const counted: SpanExporter = {
    export: (spans, done) =>
      otlp.export(spans, (result) => {
        if (result.code === 0) sent += spans.length;
        else failure ??= result.error?.message ?? 'the collector did not take them';
        done(result);
      }),
    shutdown: () => otlp.shutdown(),
    forceFlush: () => otlp.forceFlush(),
  };
  // a queue as long as a big run's attempts that end between two sends: the SDK's 2,048 drops spans
  const batches = new sdk.BatchSpanProcessor(counted, { maxQueueSize: 1 << 17, maxExportBatchSize: 2048, scheduledDelayMillis: 1000 });
  const counting: SpanProcessor = {
    onStart: (span: Span, context: Context) => batches.onStart(span, context),
    onEnd: (span: ReadableSpan) => {
      ended++;
      batches.onEnd(span);
    },
    forceFlush: () => batches.forceFlush(),
    shutdown: () => batches.shutdown(),
  };
  const provider = new sdk.BasicTracerProvider({
    resource: resources.resourceFromAttributes({ 'service.name': process.env['OTEL_SERVICE_NAME'] || 'rxdag' }),
    spanProcessors: [counting],
  });
  const { from, takeUntil } = require('rxjs') as typeof import('rxjs');
  const traced = until === undefined ? events$ : events$.pipe(takeUntil(from(until)));
  const tracing = otel.traceEvents(traced, provider.getTracer('rxdag'));
  let finished: Promise<string | undefined> | undefined;
  return {
    finish: () => (finished ??= finish()),
  };

  async function finish(): Promise<string | undefined> {
    tracing.unsubscribe();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>(
      (resolve) => (timer = setTimeout(() => resolve(`no answer within ${OTLP_FLUSH_MS} ms`), OTLP_FLUSH_MS)),
    );
    const flushed = provider.forceFlush().then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    const problem = await Promise.race([flushed, late]);
    clearTimeout(timer);
    void provider.shutdown().catch(() => undefined);
    failure ??= problem;
    if (sent >= ended && failure === undefined) return undefined;
    const lost = `${ended - sent} of ${ended} span${ended === 1 ? '' : 's'} not sent`;
    return `rxdag: cannot send the run's spans to ${shown}: ${escapeControls(failure ?? 'dropped')} (${lost})`;
  }
}

/**
 * The exit code of a command whose run ended with `code`, once its spans are sent: its own, or 74
 * for a run that succeeded but whose spans were lost (said on `stderr`).
 */
export async function exitCodeAfterTraces(
  code: number,
  traces: RunTraces | undefined,
  stderr: { write(text: string): unknown },
): Promise<number> {
  const lost = await traces?.finish();
  if (lost === undefined) return code;
  stderr.write(`${lost}\n`);
  return code === ExitCode.ok ? ExitCode.outputFailed : code;
}

function loadOtlp(): OtlpModules {
  // a plain require, not import(): this file is CommonJS, and specs load the TypeScript source
  return {
    otel: require('../../observe/otel') as typeof import('../../observe/otel'),
    sdk: require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base'),
    exporter: require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http'),
    resources: require('@opentelemetry/resources') as typeof import('@opentelemetry/resources'),
  };
}

/** `load()`, a package it needs that is not installed said in one line (exit 2). */
function loadOrRefuse(load: () => OtlpModules): OtlpModules {
  try {
    return load();
  } catch (error) {
    const { code, message } = (error ?? {}) as NodeJS.ErrnoException;
    const missing = OTLP_PACKAGES.filter((name) => String(message).includes(`'${name}'`));
    if (code === 'MODULE_NOT_FOUND' && missing.length > 0) {
      throw new InvalidInputError([{ message: `--otlp needs the OpenTelemetry packages: ${installCommand([...OTLP_PACKAGES])}` }]);
    }
    throw error;
  }
}
