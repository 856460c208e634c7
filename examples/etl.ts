/**
 * An ETL-like DAG run by function agents: extract two sources in parallel, join them, validate
 * with a flaky check that succeeds on its second attempt, then load and report.
 * Shows context injection (`upstream`), a retry with backoff, and the event stream.
 *
 * Run it: npx tsx examples/run.ts etl (in a project that installed rxdag:
 * npx tsx node_modules/rxdag/examples/run.ts etl). `main()` prints the run; `runEtl()` returns its
 * events. Nothing runs on import, so the file works as CommonJS and as an ES module.
 */
import { lastValueFrom, toArray } from 'rxjs';
import { type Agent, type DagEvent, defineDag, runDag } from 'rxdag';

interface Row {
  readonly id: number;
  readonly name: string;
  readonly amount?: number;
}

export const etlDag = defineDag({
  id: 'etl',
  tasks: [
    { id: 'extract-customers', agent: 'extract', input: { table: 'customers' } },
    { id: 'extract-orders', agent: 'extract', input: { table: 'orders' } },
    { id: 'join', deps: ['extract-customers', 'extract-orders'], agent: 'join' },
    { id: 'validate', deps: ['join'], agent: 'validate', retry: { attempts: 3, backoffMs: 20 } },
    { id: 'load', deps: ['validate'], agent: 'load', timeoutMs: 1_000 },
    { id: 'report', deps: ['load', 'join'], agent: 'report' },
  ],
});

const tables: Record<string, Row[]> = {
  customers: [
    { id: 1, name: 'Ada' },
    { id: 2, name: 'Grace' },
  ],
  orders: [
    { id: 1, name: 'Ada', amount: 30 },
    { id: 2, name: 'Grace', amount: 12 },
    { id: 1, name: 'Ada', amount: 8 },
  ],
};

/** Simulated I/O: a short wait that stops early when the attempt is cancelled. */
function io<T>(value: T, ms: number, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(value), ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

export function etlAgents(): Record<string, Agent> {
  let validations = 0;
  return {
    extract: ({ input, signal }) => io(tables[(input as { table: string }).table] ?? [], 5, signal),
    join: ({ upstream }) => {
      const customers = upstream['extract-customers'] as Row[];
      const orders = upstream['extract-orders'] as Row[];
      return customers.map((c) => ({
        customer: c.name,
        total: orders.filter((o) => o.id === c.id).reduce((sum, o) => sum + (o.amount ?? 0), 0),
      }));
    },
    validate: async ({ upstream, attempt }) => {
      validations++;
      if (attempt === 1) throw new Error('validation service unavailable (simulated)');
      return { rows: (upstream.join as unknown[]).length, validations };
    },
    load: ({ upstream, signal }) => io({ loaded: (upstream.validate as { rows: number }).rows }, 5, signal),
    report: ({ upstream }) => ({ loaded: (upstream.load as { loaded: number }).loaded, totals: upstream.join }),
  };
}

/** Runs the ETL DAG and returns every event. */
export function runEtl(): Promise<DagEvent[]> {
  return lastValueFrom(runDag(etlDag, { agents: etlAgents(), maxConcurrency: 4, healthCheckIntervalMs: 0 }).pipe(toArray()));
}

/** Runs the ETL DAG and prints each event, the outcome and the report task's output. */
export async function main(): Promise<void> {
  const events = await runEtl();
  for (const event of events) {
    const task = 'taskId' in event ? ` ${event.taskId}#${event.attempt}` : '';
    console.log(`${String(event.seq).padStart(3)} +${event.at - events[0]!.at}ms ${event.type}${task}`);
  }
  const last = events[events.length - 1];
  if (last?.type === 'dag.completed') console.log(`outcome: ${last.outcome}`, last.counts);
  const report = events.find((e) => e.type === 'task.completed' && e.taskId === 'report');
  if (report?.type === 'task.completed') console.log('report:', JSON.stringify(report.output));
}
