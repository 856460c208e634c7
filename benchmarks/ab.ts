import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Build, resolveSource, ROOT, Workspace } from './ab/builds';
import { type AbCase, DEFAULT_CASES, pickCases } from './ab/cases';
import { killLiveChildren } from './children';
import { runCaseOnBuild } from './ab/processes';
import { type AbReport, type AbRun, renderMarkdown, type Side, summarize } from './ab/report';
import { invocation, machineInfo } from './machine';
import { relayUnderTsx, stopOnSignals, stoppedBy } from './signals';
import { formatNumber } from './stats';

/**
 * `npm run bench:ab -- [--base REF] [--candidate REF] [--runs N] [--cases a,b]` — a core change
 * judged as the project judges them: `dist/` of the commit before against `dist/` of the change,
 * interleaved runs (base, candidate, base, …), each in a fresh process, same benchmark code.
 *
 * - base: REF (default HEAD) checked out in a temporary detached worktree and compiled there;
 * - candidate: the working tree compiled to a temporary folder (default), or `--candidate REF`
 *   in a second worktree;
 * - each run: `benchmarks/worker.ts` on the full suite's case (`ab/cases.ts`), with
 *   `ab/libRedirect.ts` making its `src/` imports load that side's build.
 *
 * Prints a Markdown table (medians, candidate/base ratio, every run) and writes
 * `benchmarks/results/ab.json`, or `benchmarks/results/ab-partial/ab.json` for a trial (fewer
 * runs or cases than the default), or `--json PATH`. Worktrees and children are removed on exit,
 * error, ctrl-c, SIGTERM or SIGHUP (after a signal no new child starts; exit 128 + its number).
 *
 * Options: `--base REF`, `--candidate REF`, `--runs N` (default 5), `--cases NAMES`
 * (default all: layered-100k, layered-1m, layered-100k-wide, latency-chain-1k), `--timeout SEC` (per child; default
 * per case), `--json PATH`, `--allow-type-errors` (measure tsc's output even when it reports errors).
 */

const USAGE = `usage: npm run bench:ab -- [--base REF] [--candidate REF] [--runs N] [--cases ${DEFAULT_CASES.join(',')}] [--timeout SEC] [--json PATH] [--allow-type-errors]`;

interface Cli {
  readonly base: string;
  readonly candidate: string | undefined;
  readonly runs: number;
  readonly cases: readonly AbCase[];
  readonly timeoutMs: number | undefined;
  /** `--json`, or `undefined`: see {@link jsonPathOf}. */
  readonly jsonPath: string | undefined;
  readonly allowTypeErrors: boolean;
}

const DEFAULT_RUNS = 5;

/** Whether the run has the default runs and cases (whichever refs it compares): only it may replace `results/ab.json`. */
function isFullRun(cli: Cli): boolean {
  const names = new Set(cli.cases.map((c) => c.name));
  return cli.runs === DEFAULT_RUNS && names.size === DEFAULT_CASES.length && DEFAULT_CASES.every((name) => names.has(name));
}

/** `--json`, else `results/ab.json` for a full run and `results/ab-partial/ab.json` for a trial. */
function jsonPathOf(cli: Cli): string {
  return cli.jsonPath ?? path.join(__dirname, 'results', isFullRun(cli) ? 'ab.json' : 'ab-partial/ab.json');
}

function parseArgs(argv: readonly string[]): Cli | 'help' {
  let base = 'HEAD';
  let candidate: string | undefined;
  let runs = DEFAULT_RUNS;
  let caseNames: readonly string[] = DEFAULT_CASES;
  let timeoutMs: number | undefined;
  let jsonPath: string | undefined;
  let allowTypeErrors = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new TypeError(`\`${arg}\` needs a value\n${USAGE}`);
      return next;
    };
    const positiveInteger = () => {
      const text = value();
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1) throw new TypeError(`\`${arg}\` takes a positive integer (got ${text})`);
      return n;
    };
    if (arg === '--help' || arg === '-h') return 'help';
    else if (arg === '--base') base = value();
    else if (arg === '--candidate') candidate = value();
    else if (arg === '--runs') runs = positiveInteger();
    else if (arg === '--cases')
      caseNames = value()
        .split(',')
        .filter((name) => name !== '');
    else if (arg === '--timeout') timeoutMs = positiveInteger() * 1000;
    else if (arg === '--json') jsonPath = path.resolve(value());
    else if (arg === '--allow-type-errors') allowTypeErrors = true;
    else throw new TypeError(`unknown option \`${arg}\`\n${USAGE}`);
  }
  return { base, candidate, runs, cases: pickCases(caseNames), timeoutMs, jsonPath, allowTypeErrors };
}

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<number> {
  const cli = parseArgs(process.argv.slice(2));
  if (cli === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const relay = relayUnderTsx(signals); // a process busy in sync work cannot answer tsx's relayed ctrl-c in time
  if (relay !== undefined) return relay;
  // Every ref is checked before anything is built.
  const baseSource = resolveSource(cli.base);
  const candidateSource = resolveSource(cli.candidate);
  const startedAt = new Date().toISOString();
  const machine = machineInfo();

  const workspace = new Workspace(log);
  const stops = stopOnSignals(async (signal) => {
    log(`\n${signal}: stopping the children and removing the worktrees`);
    await killLiveChildren(); // the child running now fails, and the loop starts no other
    await workspace.dispose();
  }, signals);

  try {
    // The candidate first: a working tree is snapshot as close as possible to the command.
    const candidate = await workspace.build('candidate', candidateSource, cli.allowTypeErrors);
    stops.check();
    const builds: Record<Side, Build> = { base: await workspace.build('base', baseSource, cli.allowTypeErrors), candidate };
    const runs: AbRun[] = [];
    for (const abCase of cli.cases) {
      const timeoutMs = cli.timeoutMs ?? abCase.timeoutMs;
      for (let index = 1; index <= cli.runs; index++) {
        for (const side of ['base', 'candidate'] as const) {
          stops.check();
          const started = performance.now();
          const prefix = `[${abCase.name} ${index}/${cli.runs}] ${side} ${builds[side].label}:`;
          try {
            const result = await runCaseOnBuild(abCase.spec, builds[side].dist, timeoutMs);
            const values = Object.fromEntries(abCase.metrics.map((m) => [m.key, m.read(result)]));
            const childMs = performance.now() - started;
            runs.push({ case: abCase.name, side, index, childMs, values, result });
            log(
              `${prefix} ${abCase.metrics.map((m) => `${m.label} ${formatNumber(values[m.key])}`).join(', ')}  (${(childMs / 1000).toFixed(1)} s)`,
            );
          } catch (error) {
            stops.check(); // a child killed by the stop is no failed run
            const message = error instanceof Error ? error.message : String(error);
            const values = Object.fromEntries(abCase.metrics.map((m) => [m.key, null]));
            runs.push({ case: abCase.name, side, index, childMs: performance.now() - started, values, error: message });
            log(`${prefix} FAILED ${message}`);
          }
        }
      }
    }

    const withoutDist = ({ dist: _dist, ...rest }: Build) => rest;
    const report: AbReport = {
      command: invocation().command,
      startedAt,
      finishedAt: new Date().toISOString(),
      machine,
      loadAverageAtEnd: os.loadavg(),
      runsPerSide: cli.runs,
      base: withoutDist(builds.base),
      candidate: withoutDist(builds.candidate),
      cases: cli.cases.map((c) => ({ name: c.name, spec: c.spec })),
      summary: summarize(cli.cases, runs),
      runs,
      complete: runs.every((r) => r.error === undefined),
    };
    const jsonPath = jsonPathOf(cli);
    mkdirSync(path.dirname(jsonPath), { recursive: true });
    writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    const trial = cli.jsonPath === undefined && !isFullRun(cli) ? ' (a trial: results/ab.json is left as it was)' : '';
    process.stdout.write(
      `\n${renderMarkdown(report)}\nJSON: ${jsonPath.startsWith(ROOT + path.sep) ? path.relative(ROOT, jsonPath) : jsonPath}${trial}\n`,
    );
    return report.complete ? 0 : 1;
  } finally {
    await killLiveChildren();
    await workspace.dispose();
    stops.dispose(); // kept after a signal: its handler exits once the worktrees are removed
  }
}

// after a signal, its handler exits once the clean-up is done
main().then(
  (code) => stoppedBy() === undefined && process.exit(code),
  (error: unknown) => {
    if (stoppedBy() !== undefined) return;
    log(`bench:ab: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
