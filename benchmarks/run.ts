import * as path from 'node:path';
import { runBenchmarks, SUITE_NAMES, type SuiteName } from './bench';
import { type BenchProfile, PROFILES } from './profiles';
import { endOnFailure, UsageError } from './usage';

/**
 * `npm run bench` — runs the benchmark suites and writes JSON results and a Markdown report.
 *
 *   tsx benchmarks/run.ts            full run → benchmarks/results/*.json, benchmarks/RESULTS.md
 *   tsx benchmarks/run.ts --quick    < 1 min → benchmarks/results/quick/ (RESULTS.md inside)
 *   tsx benchmarks/run.ts --tiny     a seconds-long run in-process, to try the runner → benchmarks/results/tiny/
 *
 * Options: `--out DIR` (JSON and RESULTS.md go there), `--only modes,executors,benny`,
 * `--sizes 1000,100000` (sizes of suites 2–3), `--quiet` (hide benny's progress).
 * Set `RXDAG_BENCH_LIB=dist` to measure the compiled `dist/` instead of `src/`.
 */

const HERE = __dirname;

interface Cli {
  readonly profile: BenchProfile;
  readonly outDir: string | undefined;
  readonly suites: ReadonlySet<SuiteName>;
  readonly sizes: readonly number[] | undefined;
  readonly quiet: boolean;
}

function parseArgs(argv: readonly string[]): Cli {
  let profile: BenchProfile = PROFILES.full;
  let outDir: string | undefined;
  let suites: ReadonlySet<SuiteName> = new Set(SUITE_NAMES);
  let sizes: number[] | undefined;
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`\`${arg}\` needs a value`);
      return next;
    };
    if (arg === '--quick') profile = PROFILES.quick;
    else if (arg === '--tiny') profile = PROFILES.tiny;
    else if (arg === '--quiet') quiet = true;
    else if (arg === '--out') outDir = path.resolve(value());
    else if (arg === '--only') {
      const names = value().split(',');
      const unknown = names.filter((n) => !(SUITE_NAMES as readonly string[]).includes(n));
      if (unknown.length > 0) throw new UsageError(`\`--only\` takes ${SUITE_NAMES.join(', ')} (got ${unknown.join(', ')})`);
      suites = new Set(names as SuiteName[]);
    } else if (arg === '--sizes') {
      sizes = value().split(',').map(Number);
      if (sizes.some((s) => !Number.isInteger(s) || s < 1)) throw new UsageError('`--sizes` takes positive integers, e.g. 1000,100000');
    } else throw new UsageError(`unknown option \`${arg}\` (see benchmarks/run.ts)`);
  }
  return { profile, outDir, suites, sizes, quiet };
}

async function main(): Promise<void> {
  const cli = parseArgs(process.argv.slice(2));
  const profile: BenchProfile =
    cli.sizes === undefined ? cli.profile : { ...cli.profile, executors: { ...cli.profile.executors, sizes: cli.sizes } };
  const partial = cli.suites.size < SUITE_NAMES.length || cli.sizes !== undefined;
  // Only a complete full run may replace the committed RESULTS.md and results/*.json.
  const defaultDir =
    profile.name === 'full' && !partial
      ? path.join(HERE, 'results')
      : path.join(HERE, 'results', partial ? `${profile.name}-partial` : profile.name);
  const outDir = cli.outDir ?? defaultDir;
  const markdownPath =
    cli.outDir === undefined && profile.name === 'full' && !partial ? path.join(HERE, 'RESULTS.md') : path.join(outDir, 'RESULTS.md');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`rxdag benchmarks, ${profile.name} profile → ${path.relative(process.cwd(), markdownPath)}`);
  const started = performance.now();
  const recordHistory = profile.name === 'full' && !partial;
  const report = await runBenchmarks({ profile, outDir, markdownPath, suites: cli.suites, quiet: cli.quiet, recordHistory, log });
  log(`\nTargets:`);
  for (const t of report.targets) log(`  ${t.status.padEnd(12)} ${t.target}: ${t.measured}`);
  log(
    `\nWrote ${path.relative(process.cwd(), outDir)}/*.json and ${path.relative(process.cwd(), markdownPath)} in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  if (report.failures.length > 0) {
    log(`${report.failures.length} case(s) failed; see the report.`);
    process.exitCode = 1;
  }
}

main().catch(endOnFailure('bench'));
