import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeDagFiles } from './cli/generate';
import { killLiveChildren } from './children';
import { measure, type Measured, runNode } from './cli/measure';
import {
  type CliCase,
  type CliCaseName,
  type CliReport,
  judgeTargets,
  renderCliSection,
  renderCliTables,
  writeCliBlock,
} from './cli/report';
import { ensureFreshDist } from './journal/lib';
import { invocation, machineInfo, sourceInfo } from './machine';
import { relayUnderTsx, stopOnSignals } from './signals';
import { endOnFailure, integerOf, UsageError } from './usage';

/**
 * `npm run bench:cli` — what the `rxdag` command line costs on a big DAG file: `rxdag validate`
 * of a JSON and a YAML file, `rxdag run` of the JSON file next to the same DAG run through
 * the library with the same sleep agent, `rxdag runs` of a store holding 3 ended runs of it, and
 * `rxdag report` of the events log of one run of it. Every sample is a fresh process (Node's start
 * included), rounds interleaved; medians of `--runs` (default 3).
 *
 *   tsx benchmarks/cli.ts [--size N] [--runs N] [--concurrency N] [--dist DIR] [--out DIR] [--timeout SEC]
 *
 * Default: 100,000 tasks, 3 runs, `-c 64`, the repository's `dist/` (rebuilt with tsc when older
 * than `src/`) → `results/cli.json` and the block of RESULTS.md between `<!-- cli:begin -->` and
 * `<!-- cli:end -->`. `--concurrency 8` runs as `rxdag run` does by default (then ~1 ms timers
 * of 8 tasks at a time dominate both sides: ~20 s a run). `--dist DIR` measures another compiled
 * build (e.g. of an older commit; DIR needs `node_modules` next to it or above it). With `--out
 * DIR`, or any run but the default (another size, number of runs, concurrency or build), the
 * results go to `DIR` (default `results/cli-SIZE/`, RESULTS.md inside) and `results/cli.json`
 * and RESULTS.md are left alone. Ctrl-c or SIGTERM kill the children and remove the files.
 */

const ROOT = path.resolve(__dirname, '..');
const DEFAULT_SIZE = 100_000;
const DEFAULT_RUNS = 3;
const DEFAULT_CONCURRENCY = 64;
/** Ended runs of the file in the store `rxdag runs` lists. */
const STORE_RUNS = 3;

interface Options {
  readonly size: number;
  readonly runs: number;
  readonly concurrency: number;
  readonly dist: string | undefined;
  readonly outDir: string | undefined;
  readonly timeoutSec: number;
}

function parseArgs(argv: readonly string[]): Options {
  let size = DEFAULT_SIZE;
  let runs = DEFAULT_RUNS;
  let concurrency = DEFAULT_CONCURRENCY;
  let dist: string | undefined;
  let outDir: string | undefined;
  let timeoutSec = 600;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`\`${arg}\` needs a value`);
      return next;
    };
    if (arg === '--size') size = integerOf(arg, value());
    else if (arg === '--runs') runs = integerOf(arg, value());
    else if (arg === '--concurrency' || arg === '-c') concurrency = integerOf(arg, value());
    else if (arg === '--dist') dist = path.resolve(value());
    else if (arg === '--out') outDir = path.resolve(value());
    else if (arg === '--timeout') timeoutSec = integerOf(arg, value());
    else throw new UsageError(`unknown option \`${arg}\` (see benchmarks/cli.ts)`);
  }
  return { size, runs, concurrency, dist, outDir, timeoutSec };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const relay = relayUnderTsx(); // a busy process cannot answer tsx's relayed ctrl-c in time: tsx would SIGKILL it
  if (relay !== undefined) return relay;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  // only the documented run may replace results/cli.json and the block of RESULTS.md
  const official =
    options.outDir === undefined &&
    options.dist === undefined &&
    options.size === DEFAULT_SIZE &&
    options.runs === DEFAULT_RUNS &&
    options.concurrency === DEFAULT_CONCURRENCY;
  const outDir = options.outDir ?? path.join(__dirname, 'results', official ? '' : `cli-${options.size}`);
  const markdownPath = official ? path.join(__dirname, 'RESULTS.md') : path.join(outDir, 'RESULTS.md');
  if (options.dist === undefined) ensureFreshDist(log);
  const dist = options.dist ?? path.join(ROOT, 'dist');
  const shownDist = dist.startsWith(`${ROOT}${path.sep}`) ? path.relative(ROOT, dist) : dist;
  const main = path.join(dist, 'cli', 'main.js');
  const machine = machineInfo();
  const source = sourceInfo(ROOT);
  const started = performance.now();

  const work = mkdtempSync(path.join(os.tmpdir(), 'rxdag-bench-cli-'));
  let removed: Promise<void> | undefined;
  // once, at the end or on a signal; the children first (a run journaling into the folder)
  const cleanUp = () =>
    (removed ??= (async () => {
      await killLiveChildren();
      await rm(work, { recursive: true, force: true });
    })());
  const stops = stopOnSignals(async (signal) => {
    log(`\n${signal}: stopping the children, removing ${work}`);
    await cleanUp();
  });
  try {
    const files = writeDagFiles(work, options.size);
    log(`rxdag CLI benchmark: ${options.size} sleep: 0 tasks, ${files.edges} dependencies, files in ${work}; build ${shownDist}`);
    stops.check();
    const help = await runNode([main, 'run', '--help']);
    if (help.status !== 0) throw new Error(`${main} run --help failed: ${help.stderr}`);
    const noJournal = help.stdout.includes('--no-journal');
    const shown = (file: string) => path.basename(file);
    // the journaled runs, each into a store of its own made anew for each sample (no history read)
    const hasSync = help.stdout.includes('--sync');
    const journaledRun = (sync: 'fsync' | 'none') => {
      const dir = path.join(work, `journal-${sync}`);
      const args = [files.json, '--store', dir, '--no-history', '--sync', sync, '-c', String(options.concurrency)];
      return {
        dir,
        args,
        command: `rxdag run ${[shown(files.json), '--store', `journal-${sync}`, ...args.slice(3)].join(' ')} > /dev/null`,
      };
    };
    const journaled = { fsync: journaledRun('fsync'), none: journaledRun('none') };
    const runArgs = [files.json, ...(noJournal ? ['--no-journal'] : []), '-c', String(options.concurrency)];
    const libraryScript = path.join(__dirname, 'cli', 'libraryRun.cjs');
    // a store of ended runs of the file, for `rxdag runs` (a build without the command: no such case)
    const store = path.join(work, 'store');
    const hasRuns = (await runNode([main, 'runs', '--help'])).status === 0;
    if (hasRuns) {
      for (let i = 1; i <= STORE_RUNS; i++) {
        stops.check();
        const made = await runNode([main, 'run', files.json, '--store', store, '-q', '-c', String(options.concurrency)], {
          cwd: work,
          stdout: 'ignore',
        });
        stops.check();
        if (made.status !== 0) throw new Error(`rxdag run into the store failed: ${made.stderr}`);
        log(`  store: run ${i}/${STORE_RUNS} of ${shown(files.json)} journaled`);
      }
    }

    // the events log of one run of the file, for `rxdag report` (a build without the command: no such case)
    const eventsLog = path.join(work, 'events.jsonl');
    const page = path.join(work, 'report.html');
    const hasReport = (await runNode([main, 'report', '--help'])).status === 0;
    if (hasReport) {
      stops.check();
      const made = await runNode([main, 'run', ...runArgs, '--events', eventsLog], { cwd: work, stdout: 'ignore' });
      stops.check();
      if (made.status !== 0) throw new Error(`rxdag run --events failed: ${made.stderr}`);
      log(`  events log: ${shown(files.json)} run once with --events ${shown(eventsLog)}`);
    }

    const plan: { name: CliCaseName; command: string; args: string[]; stdout: 'null' | 'capture' }[] = [
      { name: 'validateJson', command: `rxdag validate ${shown(files.json)}`, args: [main, 'validate', files.json], stdout: 'capture' },
      { name: 'validateYaml', command: `rxdag validate ${shown(files.yaml)}`, args: [main, 'validate', files.yaml], stdout: 'capture' },
      {
        name: 'runCli',
        command: `rxdag run ${[shown(files.json), ...runArgs.slice(1)].join(' ')} > /dev/null`,
        args: [main, 'run', ...runArgs],
        stdout: 'null',
      },
      ...(hasSync
        ? [
            {
              name: 'runJournaled' as const,
              command: journaled.fsync.command,
              args: [main, 'run', ...journaled.fsync.args],
              stdout: 'null' as const,
            },
            {
              name: 'runJournaledNoSync' as const,
              command: journaled.none.command,
              args: [main, 'run', ...journaled.none.args],
              stdout: 'null' as const,
            },
          ]
        : []),
      {
        name: 'runLibrary',
        command: `node benchmarks/cli/libraryRun.cjs ${shownDist} ${shown(files.json)} ${options.concurrency}`,
        args: [libraryScript, dist, files.json, String(options.concurrency)],
        stdout: 'capture',
      },
      ...(hasRuns
        ? [
            {
              name: 'listRuns' as const,
              command: 'rxdag runs --store store',
              args: [main, 'runs', '--store', store],
              stdout: 'capture' as const,
            },
          ]
        : []),
      ...(hasReport
        ? [
            {
              name: 'reportHtml' as const,
              command: `rxdag report ${shown(eventsLog)} -o ${shown(page)} --dag ${shown(files.json)}`,
              args: [main, 'report', eventsLog, '-o', page, '--dag', files.json],
              stdout: 'capture' as const,
            },
          ]
        : []),
    ];
    const samples = new Map<CliCaseName, { measured: Measured[]; loadMs: number[]; runMs: number[]; outputBytes: number[] }>(
      plan.map((entry) => [entry.name, { measured: [], loadMs: [], runMs: [], outputBytes: [] }]),
    );
    const loggedEvents = hasReport ? lineCount(eventsLog) : 0;
    for (let round = 1; round <= options.runs; round++) {
      for (const entry of plan) {
        stops.check();
        const result = await measure(entry.args, {
          cwd: work,
          stdout: entry.stdout,
          rusageFile: path.join(work, 'rusage.json'),
          timeoutMs: options.timeoutSec * 1000,
        });
        const sample = samples.get(entry.name)!;
        sample.measured.push(result);
        if (entry.name === 'runJournaled' || entry.name === 'runJournaledNoSync') {
          // each sample journals into an empty store
          rmSync(journaled[entry.name === 'runJournaled' ? 'fsync' : 'none'].dir, { recursive: true, force: true });
        }
        if (entry.name === 'reportHtml') {
          // its `wrote` line is on stderr, so that `-o /dev/stdout` gives the page alone
          if (!result.stderr.includes(`(${loggedEvents} events)`))
            throw new Error(`${entry.command} printed ${JSON.stringify(result.stderr)}`);
          sample.outputBytes.push(statSync(page).size);
          rmSync(page); // each round writes its page anew
        }
        if (entry.name === 'listRuns' && (result.stdout.match(/ succeeded /g) ?? []).length !== STORE_RUNS)
          throw new Error(`${entry.command} printed ${JSON.stringify(result.stdout)}`);
        if (entry.name.startsWith('validate') && !/ is valid: /.test(result.stdout))
          throw new Error(`${entry.command} printed ${JSON.stringify(result.stdout)}`);
        if (entry.name === 'runLibrary') {
          const printed = JSON.parse(result.stdout) as { loadMs: number; runMs: number; completed: number };
          if (printed.completed !== options.size) throw new Error(`the library completed ${printed.completed} of ${options.size} tasks`);
          sample.loadMs.push(printed.loadMs);
          sample.runMs.push(printed.runMs);
        }
        log(
          `  round ${round}/${options.runs}  ${entry.command.padEnd(64)} ${(result.wallMs / 1000).toFixed(2).padStart(7)} s ${Math.round(result.maxRssBytes / 1e6)} MB`,
        );
      }
    }

    const cases: CliCase[] = plan.map((entry) => {
      const sample = samples.get(entry.name)!;
      return {
        name: entry.name,
        command: entry.command,
        wallMs: sample.measured.map((m) => m.wallMs),
        maxRssBytes: sample.measured.map((m) => m.maxRssBytes),
        cpuMs: sample.measured.map((m) => m.cpuMs),
        ...(entry.name === 'runLibrary' ? { loadMs: sample.loadMs, runMs: sample.runMs } : {}),
        ...(entry.name === 'reportHtml' ? { outputBytes: sample.outputBytes } : {}),
      };
    });
    const report: CliReport = {
      generatedAt: new Date().toISOString(),
      command: invocation().command,
      machine,
      loadAverageAtEnd: os.loadavg(),
      source,
      options: {
        size: options.size,
        runs: options.runs,
        concurrency: options.concurrency,
        dist: shownDist,
        noJournal,
        ...(hasRuns ? { storeRuns: STORE_RUNS } : {}),
      },
      files: {
        jsonBytes: statSync(files.json).size,
        yamlBytes: statSync(files.yaml).size,
        tasks: files.size,
        edges: files.edges,
        ...(hasReport ? { eventsLog: { bytes: statSync(eventsLog).size, events: loggedEvents } } : {}),
      },
      cases,
      targets: judgeTargets(cases),
    };
    mkdirSync(outDir, { recursive: true });
    const jsonPath = path.join(outDir, 'cli.json');
    writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    writeCliBlock(markdownPath, renderCliSection(report));
    process.stdout.write(`\n${renderCliTables(report)}\n`);
    log(
      `\nWrote ${path.relative(process.cwd(), jsonPath)} and the cli block of ${path.relative(process.cwd(), markdownPath)} in ${((performance.now() - started) / 1000).toFixed(0)} s` +
        (official ? '' : ' (not the default run: results/cli.json and RESULTS.md are left as they were)'),
    );
  } finally {
    await cleanUp();
    stops.dispose(); // kept after a signal: its handler exits once the files are removed
  }
}

/** The lines of a file ending each line with a newline, as an events log does. */
function lineCount(file: string): number {
  const text = readFileSync(file);
  let lines = 0;
  for (let at = text.indexOf(10); at >= 0; at = text.indexOf(10, at + 1)) lines++;
  return lines;
}

main().catch(endOnFailure('bench:cli'));
