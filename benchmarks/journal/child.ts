import { runJournalCase } from './cases';
import type { JournalCaseSpec } from './types';

/**
 * Child-process entry of `npm run bench:journal`: runs the one case given as JSON in argv[2]
 * and sends the result to the parent over IPC (or prints it when started by hand).
 *
 * @example
 * npx tsx --expose-gc benchmarks/journal/child.ts '{"kind":"layered","variant":"fsync","size":10000,"seed":42,"warmupSize":1000,"warmupMemoryRuns":1,"warmupJournalRuns":1,"dir":"/tmp/rxdag-journal-try"}'
 */

type ChildMessage = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: string };

function report(message: ChildMessage): Promise<void> {
  const send = process.send?.bind(process);
  if (send === undefined) {
    process.stdout.write(`${JSON.stringify(message, null, 2)}\n`);
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => send(message, undefined, {}, (error) => (error ? reject(error) : resolve())));
}

async function main(): Promise<void> {
  const argument = process.argv[2];
  if (argument === undefined) throw new TypeError('usage: child.ts CASE_JSON');
  const result = await runJournalCase(JSON.parse(argument) as JournalCaseSpec);
  await report({ ok: true, result });
}

main().then(
  // exit at once: a finished case must not wait for stray timers or idle connections
  () => process.exit(0),
  (error: unknown) => {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    report({ ok: false, error: text }).finally(() => process.exit(1));
  },
);
