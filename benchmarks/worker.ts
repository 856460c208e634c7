import { type CaseSpec, runCase } from './cases';

/**
 * Child-process entry: runs the one case given as JSON in argv[2] and sends the result to the
 * parent over IPC (or prints it when started by hand, e.g. under `node --cpu-prof`).
 *
 * @example
 * npx tsx benchmarks/worker.ts '{"kind":"throughput","executor":{"kind":"rxdag","mode":"event"},"shape":"layered","size":100000,"seed":42,"runs":1,"warmupSize":1000}'
 */

/** What a child sends back. */
export type WorkerMessage = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: string };

async function main(): Promise<void> {
  const argument = process.argv[2];
  if (argument === undefined) throw new TypeError('usage: worker.ts CASE_JSON');
  const spec = JSON.parse(argument) as CaseSpec;
  const result = await runCase(spec, true);
  await report({ ok: true, result });
}

function report(message: WorkerMessage): Promise<void> {
  const send = process.send?.bind(process);
  if (send === undefined) {
    process.stdout.write(`${JSON.stringify(message, null, 2)}\n`);
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => send(message, undefined, {}, (error) => (error ? reject(error) : resolve())));
}

main().then(
  // Exit at once: a finished case must not wait for stray timers, and the parent waits for exit.
  () => process.exit(0),
  (error: unknown) => {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    report({ ok: false, error: text }).finally(() => process.exit(1));
  },
);
