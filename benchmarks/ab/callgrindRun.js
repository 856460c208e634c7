// usage: node benchmarks/ab/callgrindRun.js DIR SIZE RUNS — runs a seeded layered DAG of no-op tasks RUNS times on DIR/dist (under callgrind, for an A/B by instructions)
const lib = require(process.argv[2] + '/dist/index.js');
const { lastValueFrom } = require(require.resolve('rxjs', { paths: [process.argv[2], __dirname] }));
const size = Number(process.argv[3]);
const runs = Number(process.argv[4]);
let s = 42;
const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
const tasks = [];
for (let i = 0; i < size; i++) {
  const layer = Math.floor(i / 100);
  const deps = new Set();
  if (layer > 0) { const n = 1 + Math.floor(rnd() * 3); for (let k = 0; k < n; k++) deps.add('t' + Math.floor(rnd() * layer * 100)); }
  tasks.push({ id: 't' + i, agent: 'noop', deps: [...deps] });
}
const dag = lib.defineDag({ id: 'ab', tasks });
(async () => {
  for (let r = 0; r < runs; r++) {
    const last = await lastValueFrom(lib.runDag(dag, { agents: { noop: () => Promise.resolve() }, maxConcurrency: 64, healthCheckIntervalMs: 0 }));
    if (last.outcome !== 'succeeded') throw new Error('failed');
  }
})();
