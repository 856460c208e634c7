/**
 * Traces a small run with OpenTelemetry and prints its spans as a tree: one span for the run,
 * one per attempt, with a retry (`parse` fails once), a timeout (`thumbnails`) and a task
 * skipped because of it (`publish`). The spans go to an in-memory exporter here; an application
 * gives its own tracer (OTLP, Jaeger, …) to `traceEvents` the same way.
 *
 * Run it: npx tsx examples/run.ts trace-run, with `@opentelemetry/api` and
 * `@opentelemetry/sdk-trace-base` installed next to rxdag. `main()` prints the tree;
 * `traceRun()` returns the finished spans. Nothing runs on import, so the file works as CommonJS
 * and as an ES module.
 */
import type { HrTime } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { lastValueFrom } from 'rxjs';
import { type Agent, defineDag, runDag } from 'rxdag';
import { traceEvents } from 'rxdag/otel';

export const reportDag = defineDag({
  id: 'nightly-report',
  tasks: [
    { id: 'fetch', agent: 'io' },
    { id: 'parse', deps: ['fetch'], agent: 'cpu', retry: { attempts: 2, backoffMs: 10 } },
    { id: 'thumbnails', deps: ['fetch'], agent: 'cpu', timeoutMs: 30 },
    { id: 'summarize', deps: ['parse'], agent: 'cpu' },
    { id: 'publish', deps: ['summarize', 'thumbnails'], agent: 'io' },
  ],
});

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

function reportAgents(): Record<string, Agent> {
  return {
    io: async ({ id, signal }) => {
      await pause(10, signal);
      return `${id}: ok`;
    },
    cpu: async ({ id, attempt, signal }) => {
      if (id === 'parse' && attempt === 1) throw new Error('unexpected end of input');
      await pause(id === 'thumbnails' ? 1_000 : 5, signal);
      return `${id}: ok`;
    },
  };
}

/** Runs the DAG once with tracing on; returns its finished spans: the run's, then the attempts' by start. */
export async function traceRun(): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const run = runDag(reportDag, { agents: reportAgents() });
  const tracing = traceEvents(run.events$, provider.getTracer('rxdag-example'));
  await lastValueFrom(run);
  tracing.unsubscribe();
  const spans = exporter.getFinishedSpans();
  await provider.shutdown();
  const runs = spans.filter((span) => span.parentSpanContext === undefined);
  const attempts = spans.filter((span) => span.parentSpanContext !== undefined).sort((a, b) => ms(a.startTime) - ms(b.startTime));
  return [...runs, ...attempts];
}

const ms = ([seconds, nanos]: HrTime) => seconds * 1000 + nanos / 1e6;

/** One line per span, attempts indented under the run, times from the run's start. */
export function formatSpans(spans: readonly ReadableSpan[]): string[] {
  const [run, ...attempts] = spans;
  if (run === undefined) return [];
  const origin = ms(run.startTime);
  const time = (span: ReadableSpan) =>
    `${String(Math.round(ms(span.startTime) - origin)).padStart(4)} → ${String(Math.round(ms(span.endTime) - origin)).padStart(4)} ms`;
  const status = (span: ReadableSpan) => (span.status.message === undefined ? '' : `  ERROR: ${span.status.message}`);
  const lines = [`${run.name}  ${time(run)}  ${String(run.attributes['rxdag.outcome'])}${status(run)}`];
  for (const span of attempts) {
    const label = `${span.name} #${String(span.attributes['rxdag.attempt'])}`.padEnd(26);
    lines.push(`  ${label} ${time(span)}  ${String(span.attributes['rxdag.outcome']).padEnd(9)}${status(span)}`);
  }
  for (const event of run.events) {
    lines.push(`  · ${event.name} ${String(event.attributes?.['rxdag.task_id'])} at ${Math.round(ms(event.time) - origin)} ms`);
  }
  return lines;
}

export async function main(): Promise<void> {
  for (const line of formatSpans(await traceRun())) console.log(line);
}
