'use strict';
/**
 * The library side of `npm run bench:cli`'s run comparison, in a fresh process of its own:
 * reads the same DAG file the CLI runs (`JSON.parse`), defines it with `defineDag` (each
 * `sleep: MS` task on the agent `sleep` with `MS` as input, as the CLI's file loader does) and
 * runs it with `runDag` on the CLI's own sleep agent (`dist/cli/agents/sleepAgent.js`: a
 * `sleep: 0` task costs a Node timer of ~1 ms on both sides) and the same `maxConcurrency`,
 * listening to every event, to `dag.completed`. Plain JavaScript on the compiled build, as the
 * CLI runs, so neither side pays for a TypeScript loader.
 *
 *   node benchmarks/cli/libraryRun.cjs DIST FILE.json CONCURRENCY
 *
 * Prints one JSON line: `{ loadMs, runMs, events, outcome, completed }`; exits 0 when every
 * task succeeded.
 */
const { readFileSync } = require('node:fs');
const path = require('node:path');

const [dist, file, concurrency] = process.argv.slice(2);
if (!dist || !file || !concurrency) {
  process.stderr.write('usage: node benchmarks/cli/libraryRun.cjs DIST FILE.json CONCURRENCY\n');
  process.exit(2);
}
const started = performance.now();
const { defineDag, runDag } = require(path.resolve(dist, 'index.js'));
const { sleepAgent, SLEEP_AGENT } = require(path.resolve(dist, 'cli/agents/sleepAgent.js'));

const source = JSON.parse(readFileSync(file, 'utf8'));
const dag = defineDag({
  id: source.id,
  tasks: source.tasks.map((task) => ({
    id: task.id,
    ...(task.deps === undefined ? {} : { deps: task.deps }),
    agent: SLEEP_AGENT,
    input: task.sleep,
  })),
});
const loaded = performance.now();

let events = 0;
let final;
const run = runDag(dag, { agents: { [SLEEP_AGENT]: sleepAgent }, maxConcurrency: Number(concurrency) });
run.events$.subscribe((event) => {
  events++;
  if (event.type === 'dag.completed') final = event;
});
run.subscribe({
  complete() {
    const ended = performance.now();
    const result = {
      loadMs: loaded - started,
      runMs: ended - loaded,
      events,
      outcome: final && final.outcome,
      completed: final && final.counts.completed,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(result.outcome === 'succeeded' ? 0 : 1));
  },
  error(error) {
    process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
    process.exit(1);
  },
});
