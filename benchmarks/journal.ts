import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureFreshDist, type LibKind, libKind } from './journal/lib';
import { JOURNAL_CASE_NAMES, JOURNAL_PROFILES, type JournalCaseName, type JournalProfile } from './journal/profiles';
import { runJournalSuite } from './journal/suite';
import { renderJournalSection, writeJournalBlock } from './report/journalSection';
import { relayUnderTsx } from './signals';
import { endOnFailure, integerOf, UsageError } from './usage';

/**
 * `npm run bench:journal` — what durable runs cost: the file journal (fsync, none) against a run
 * in memory, the PostgreSQL journal's event rate, the dispatch latency a durable group adds, and
 * how soon a resumed run starts tasks again. Each sample in a fresh child process (tiny: in this one).
 *
 *   tsx benchmarks/journal.ts           full → results/journal.json, the journal block of RESULTS.md
 *   tsx benchmarks/journal.ts --quick   < 1 min → results/quick/journal.json, results/quick/RESULTS.md
 *   tsx benchmarks/journal.ts --tiny    seconds, for the smoke test → results/tiny/
 *
 * Options: `--runs N` (children per case and variant, default 3; quick and tiny 1),
 * `--only layered,postgres,latency,resume`, `--out DIR` (journal.json and RESULTS.md go there),
 * `--dir DIR` (where the temporary journals go, default the OS temp folder: its disk is what
 * fsync measures), `--timeout SEC` (per child), `--lib src|dist` (default `RXDAG_BENCH_LIB`, else
 * src through tsx; dist is rebuilt with tsc when older than src).
 */

const HERE = __dirname;

interface Cli {
  readonly profile: JournalProfile;
  readonly runs: number | undefined;
  readonly cases: ReadonlySet<JournalCaseName>;
  readonly outDir: string | undefined;
  readonly baseDir: string | undefined;
  readonly timeoutSec: number | undefined;
  readonly lib: LibKind;
}

function parseArgs(argv: readonly string[]): Cli {
  let profile = JOURNAL_PROFILES.full;
  let runs: number | undefined;
  let cases: ReadonlySet<JournalCaseName> = new Set(JOURNAL_CASE_NAMES);
  let outDir: string | undefined;
  let baseDir: string | undefined;
  let timeoutSec: number | undefined;
  let lib = libKind();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`\`${arg}\` needs a value`);
      return next;
    };
    if (arg === '--quick') profile = JOURNAL_PROFILES.quick;
    else if (arg === '--tiny') profile = JOURNAL_PROFILES.tiny;
    else if (arg === '--runs') runs = integerOf(arg, value());
    else if (arg === '--timeout') timeoutSec = integerOf(arg, value());
    else if (arg === '--out') outDir = path.resolve(value());
    else if (arg === '--dir') baseDir = path.resolve(value());
    else if (arg === '--lib') {
      const kind = value();
      if (kind !== 'src' && kind !== 'dist') throw new UsageError(`\`--lib\` takes src or dist (got ${kind})`);
      lib = kind;
    } else if (arg === '--only') {
      const names = value().split(',');
      const unknown = names.filter((n) => !(JOURNAL_CASE_NAMES as readonly string[]).includes(n));
      if (unknown.length > 0) throw new UsageError(`\`--only\` takes ${JOURNAL_CASE_NAMES.join(', ')} (got ${unknown.join(', ')})`);
      cases = new Set(names as JournalCaseName[]);
    } else throw new UsageError(`unknown option \`${arg}\` (see benchmarks/journal.ts)`);
  }
  return { profile, runs, cases, outDir, baseDir, timeoutSec, lib };
}

/** The command that reruns one case as this run ran it. */
function caseCommand(cli: Cli, name: JournalCaseName): string {
  const args = [
    cli.profile.name === 'full' ? undefined : `--${cli.profile.name}`,
    cli.runs === undefined ? undefined : `--runs ${cli.runs}`,
    cli.baseDir === undefined ? undefined : `--dir ${cli.baseDir}`,
    `--only ${name}`,
  ].filter((a) => a !== undefined);
  return `${cli.lib === 'dist' ? 'RXDAG_BENCH_LIB=dist ' : ''}npm run bench:journal -- ${args.join(' ')}`;
}

async function main(): Promise<void> {
  const cli = parseArgs(process.argv.slice(2));
  const relay = relayUnderTsx(); // a busy process cannot answer tsx's relayed ctrl-c in time: tsx would SIGKILL it
  if (relay !== undefined) return relay;
  const { profile } = cli;
  const partial = cli.cases.size < JOURNAL_CASE_NAMES.length;
  // Only a complete full run may replace results/journal.json and the block of RESULTS.md.
  const outDir =
    cli.outDir ??
    (profile.name === 'full' && !partial
      ? path.join(HERE, 'results')
      : path.join(HERE, 'results', partial ? `${profile.name}-partial` : profile.name));
  const markdownPath =
    cli.outDir === undefined && profile.name === 'full' && !partial ? path.join(HERE, 'RESULTS.md') : path.join(outDir, 'RESULTS.md');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const runs = cli.runs ?? profile.runs;

  log(
    `rxdag journal benchmarks, ${profile.name} profile, ${runs} child(ren) per case → ${path.relative(process.cwd(), outDir)}/journal.json, ${path.relative(process.cwd(), markdownPath)}`,
  );
  if (cli.lib === 'dist') ensureFreshDist(log);
  log(`rxdag from ${cli.lib}/${cli.lib === 'src' ? ' through tsx' : ' (compiled)'}`);
  const started = performance.now();
  const report = await runJournalSuite({
    profile,
    runs,
    cases: cli.cases,
    lib: cli.lib,
    baseDir: cli.baseDir ?? os.tmpdir(),
    resultsFile: path.join(outDir, 'journal.json'),
    timeoutMs: (cli.timeoutSec ?? profile.timeoutMs / 1000) * 1000,
    caseCommand: (name) => caseCommand(cli, name),
    log,
  });

  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'journal.json'), `${JSON.stringify(report, null, 2)}\n`);
  mkdirSync(path.dirname(markdownPath), { recursive: true });
  writeJournalBlock(markdownPath, renderJournalSection(report));

  log(`\nTargets:`);
  for (const t of report.targets) log(`  ${t.status.padEnd(12)} ${t.target}: ${t.measured}`);
  if (report.latency !== null) {
    const l = report.latency;
    log(
      `  (latency)    chain ${l.chainLength}: journal p50 − in-memory p50 = ${l.journalCostP50.toFixed(1)} µs, next to fsync p50 ${l.fsync.p50.toFixed(1)} µs`,
    );
  }
  log(
    `\nWrote ${path.relative(process.cwd(), path.join(outDir, 'journal.json'))} and the journal block of ${path.relative(process.cwd(), markdownPath)} in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  if (report.failures.length > 0) {
    log(`${report.failures.length} child(ren) failed; see the report.`);
    process.exitCode = 1;
  }
}

main().catch(endOnFailure('bench:journal'));
