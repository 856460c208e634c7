import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Build, resolveSource, ROOT, Workspace } from './ab/builds';
import { type AbCase, DEFAULT_CASES, pickCases } from './ab/cases';
import { killLiveChildren, runCaseOnBuild } from './ab/processes';
import { type AbReport, type AbRun, renderMarkdown, type Side, summarize } from './ab/report';
import { invocation, machineInfo } from './machine';
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
 * `benchmarks/results/ab.json`. Worktrees and children are removed on exit, error or ctrl-c.
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
  readonly jsonPath: string;
  readonly allowTypeErrors: boolean;
}

function parseArgs(argv: readonly string[]): Cli | 'help' {
  let base = 'HEAD';
  let candidate: string | undefined;
  let runs = 5;
  let caseNames: readonly string[] = DEFAULT_CASES;
  let timeoutMs: number | undefined;
  let jsonPath = path.join(__dirname, 'results/ab.json');
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
  // Every ref is checked before anything is built.
  const baseSource = resolveSource(cli.base);
  const candidateSource = resolveSource(cli.candidate);
  const startedAt = new Date().toISOString();
  const machine = machineInfo();

  const workspace = new Workspace(log);
  const stop = (signal: NodeJS.Signals) => {
    log(`\n${signal}: stopping the children and removing the worktrees`);
    killLiveChildren();
    workspace.dispose();
    process.exit(128 + (os.constants.signals[signal] ?? 1));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, stop);

  try {
    // The candidate first: a working tree is snapshot as close as possible to the command.
    const candidate = await workspace.build('candidate', candidateSource, cli.allowTypeErrors);
    const builds: Record<Side, Build> = { base: await workspace.build('base', baseSource, cli.allowTypeErrors), candidate };
    const runs: AbRun[] = [];
    for (const abCase of cli.cases) {
      const timeoutMs = cli.timeoutMs ?? abCase.timeoutMs;
      for (let index = 1; index <= cli.runs; index++) {
        for (const side of ['base', 'candidate'] as const) {
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
    mkdirSync(path.dirname(cli.jsonPath), { recursive: true });
    writeFileSync(cli.jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(
      `\n${renderMarkdown(report)}\nJSON: ${cli.jsonPath.startsWith(ROOT + path.sep) ? path.relative(ROOT, cli.jsonPath) : cli.jsonPath}\n`,
    );
    return report.complete ? 0 : 1;
  } finally {
    killLiveChildren();
    workspace.dispose();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`bench:ab: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
