/**
 * Runs one example and prints what happened:
 *
 *   npx tsx examples/run.ts etl
 *   npx tsx examples/run.ts multi-agent
 *   npx tsx examples/run.ts trace-run      (needs @opentelemetry/api and @opentelemetry/sdk-trace-base)
 *
 * (from a project that installed rxdag: `npx tsx node_modules/rxdag/examples/run.ts etl`).
 * Each example exports a `main()` and runs nothing on import; this runner calls one. Nothing here
 * asks how the file was loaded (that differs between CommonJS and ES modules), and imports end in
 * `.js` as Node's ES modules want, so the examples run the same copied into either kind of project.
 */
import { main as etl } from './etl.js';
import { main as multiAgent } from './multi-agent.js';

const examples: Record<string, () => Promise<void>> = {
  etl,
  'multi-agent': multiAgent,
  // loaded only when asked for: it needs the optional OpenTelemetry packages
  'trace-run': () => import('./trace-run.js').then((example) => example.main()),
};
const name = process.argv[2] ?? 'etl';
const example = examples[name];
if (example === undefined) {
  console.error(`unknown example "${name}": try ${Object.keys(examples).join(' or ')}`);
  process.exitCode = 2;
} else {
  example().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
