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

const NO_OPENTELEMETRY = 'trace-run needs the OpenTelemetry packages';

const examples: Record<string, () => Promise<void>> = {
  etl,
  'multi-agent': multiAgent,
  // loaded only when asked for: it needs the optional OpenTelemetry packages
  'trace-run': () =>
    import('./trace-run.js').then(
      (example) => example.main(),
      (error: unknown) => {
        if (!isMissingModule(error)) throw error;
        throw new Error(`${NO_OPENTELEMETRY}: npm install @opentelemetry/api @opentelemetry/sdk-trace-base`);
      },
    ),
};
const name = process.argv[2] ?? 'etl';
const example = examples[name];
if (example === undefined) {
  console.error(`unknown example "${name}": try ${Object.keys(examples).join(' or ')}`);
  process.exitCode = 2;
} else {
  example().catch((error: unknown) => {
    // a missing package is said in one line; anything else with its stack, as an example should
    console.error(error instanceof Error && error.message.startsWith(NO_OPENTELEMETRY) ? error.message : error);
    process.exitCode = 1;
  });
}

function isMissingModule(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
}
