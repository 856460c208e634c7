import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { MachineInfo, SourceInfo } from '../machine';
import { markdownTable } from '../report/table';
import { formatNumber, median } from '../stats';

/**
 * What `npm run bench:cli` found: the JSON it writes (`results/cli.json`), the table it prints
 * and its section of RESULTS.md, kept between {@link CLI_BEGIN} and {@link CLI_END}.
 */

export const CLI_BEGIN = '<!-- cli:begin -->';
export const CLI_END = '<!-- cli:end -->';

/** The measured commands, in the order of the table. */
export const CLI_CASES = [
  'validateJson',
  'validateYaml',
  'runCli',
  'runJournaled',
  'runJournaledNoSync',
  'runLibrary',
  'listRuns',
  'reportHtml',
] as const;
export type CliCaseName = (typeof CLI_CASES)[number];

export interface CliCase {
  readonly name: CliCaseName;
  /** What was run, as a reader would type it. */
  readonly command: string;
  /** Each fresh process's wall time (spawn to exit), in the order of the rounds. */
  readonly wallMs: readonly number[];
  readonly maxRssBytes: readonly number[];
  /** Each process's CPU time (user + system). */
  readonly cpuMs: readonly number[];
  /** The library side: loading (require, JSON.parse, defineDag) and the run, per process. */
  readonly loadMs?: readonly number[];
  readonly runMs?: readonly number[];
  /** The size of the file each process wrote (the HTML page of `rxdag report`). */
  readonly outputBytes?: readonly number[];
}

export interface CliTarget {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

export interface CliReport {
  readonly generatedAt: string;
  readonly command: string;
  readonly machine: MachineInfo;
  /** Load averages when the measuring ended (they started in `machine`). */
  readonly loadAverageAtEnd: readonly number[];
  readonly source: SourceInfo;
  readonly options: {
    readonly size: number;
    readonly runs: number;
    readonly concurrency: number;
    /** The compiled build measured, relative to the repository. */
    readonly dist: string;
    /** Whether `rxdag run` had `--no-journal` (else it journaled into a temporary folder). */
    readonly noJournal: boolean;
    /** How many ended runs the store listed by `rxdag runs` holds (absent: a build without `rxdag runs`). */
    readonly storeRuns?: number;
  };
  readonly files: {
    readonly jsonBytes: number;
    readonly yamlBytes: number;
    readonly tasks: number;
    readonly edges: number;
    /** The events log `rxdag report` reads, made once before the rounds (absent: a build without `rxdag report`). */
    readonly eventsLog?: { readonly bytes: number; readonly events: number };
  };
  readonly cases: readonly CliCase[];
  readonly targets: readonly CliTarget[];
}

const LABELS: Record<CliCaseName, string> = {
  validateJson: '`rxdag validate` JSON',
  validateYaml: '`rxdag validate` YAML',
  runCli: '`rxdag run` JSON',
  runJournaled: '`rxdag run` JSON, journaled (`--sync fsync`, the default)',
  runJournaledNoSync: '`rxdag run` JSON, journaled with `--sync none`',
  runLibrary: 'library: `defineDag` + `runDag`, same sleep agent',
  listRuns: '`rxdag runs` of a store holding ended runs of the file',
  reportHtml: '`rxdag report` of a run’s events log, with the file',
};

const seconds = (ms: number) => `${formatNumber(ms / 1000)} s`;
const megabytes = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;
/** A file size to the unit that shows it: `66 KB`, `176 MB`. */
const fileSize = (bytes: number) => (bytes < 1e6 ? `${Math.round(bytes / 1e3)} KB` : `${formatNumber(bytes / 1e6)} MB`);

/** The median of a case's wall times and peak RSS. */
export function caseMedians(entry: CliCase): { wallMs: number; maxRssBytes: number; cpuMs: number } {
  return { wallMs: median(entry.wallMs), maxRssBytes: median(entry.maxRssBytes), cpuMs: median(entry.cpuMs) };
}

/** Judges the targets from the medians. */
export function judgeTargets(cases: readonly CliCase[]): CliTarget[] {
  const of = (name: CliCaseName) => {
    const found = cases.find((entry) => entry.name === name);
    return found === undefined ? undefined : caseMedians(found);
  };
  const targets: CliTarget[] = [];
  const validateJson = of('validateJson');
  const validateYaml = of('validateYaml');
  const run = of('runCli');
  const library = of('runLibrary');
  if (validateJson !== undefined) {
    targets.push({ target: '`rxdag validate` JSON ≤ 1 s', measured: seconds(validateJson.wallMs), met: validateJson.wallMs <= 1000 });
  }
  if (validateYaml !== undefined) {
    targets.push({ target: '`rxdag validate` YAML ≤ 2.5 s', measured: seconds(validateYaml.wallMs), met: validateYaml.wallMs <= 2500 });
  }
  if (run !== undefined && library !== undefined) {
    const ratio = run.wallMs / library.wallMs;
    targets.push({
      target: '`rxdag run` total wall time ≤ 2× the library’s',
      measured: `${seconds(run.wallMs)} / ${seconds(library.wallMs)} = ${formatNumber(ratio)}×`,
      met: ratio <= 2,
    });
  }
  if (run !== undefined) {
    targets.push({ target: '`rxdag run` peak RSS ≤ 400 MB', measured: megabytes(run.maxRssBytes), met: run.maxRssBytes <= 400e6 });
  }
  return targets;
}

/** The results as a Markdown table (the same in the terminal and in RESULTS.md). */
export function renderCliTables(report: CliReport): string {
  const rows = report.cases.map((entry) => {
    const { wallMs, maxRssBytes, cpuMs } = caseMedians(entry);
    const split =
      entry.loadMs === undefined || entry.runMs === undefined
        ? ''
        : ` (load ${seconds(median(entry.loadMs))}, run ${seconds(median(entry.runMs))})`;
    return [
      LABELS[entry.name],
      `\`${entry.command}\``,
      `${seconds(wallMs)}${split}`,
      entry.wallMs.map((ms) => formatNumber(ms / 1000)).join(', '),
      seconds(cpuMs),
      megabytes(maxRssBytes),
    ];
  });
  const measured = markdownTable(
    ['what', 'command', 'wall time (median)', 'each run, s', 'CPU time (median)', 'peak RSS (median)'],
    rows,
    new Set([2, 3, 4, 5]),
  );
  const targets = markdownTable(
    ['target', 'measured (medians)', ''],
    report.targets.map((t) => [t.target, t.measured, t.met ? '✅ met' : '❌ missed']),
    new Set([1]),
  );
  return `${measured}\n\n${targets}`;
}

/** The section of RESULTS.md, markers included, without a trailing newline. */
export function renderCliSection(report: CliReport): string {
  const { machine, options, files } = report;
  const load = (values: readonly number[]) => values.map((v) => v.toFixed(2)).join(' / ');
  return [
    CLI_BEGIN,
    '## The command line on a big DAG file (`npm run bench:cli`)',
    '',
    `${report.generatedAt.slice(0, 16).replace('T', ' ')} UTC, commit ${report.source.commit ?? '?'}${report.source.srcDirty === true ? ' + uncommitted changes in src/' : ''}, \`${report.command}\`; ${machine.cpuCount} × ${machine.cpuModel}, Node ${machine.node}; load average ${load(machine.loadAverage)} at the start, ${load(report.loadAverageAtEnd)} at the end.`,
    '',
    `The generator's \`layered\` DAG (seed 42): ${files.tasks.toLocaleString('en-US')} \`sleep: 0\` tasks, ${files.edges.toLocaleString('en-US')} dependencies, as JSON (${(files.jsonBytes / 1e6).toFixed(1)} MB) and YAML (${(files.yamlBytes / 1e6).toFixed(1)} MB). Each number is the median of ${options.runs} fresh processes (rounds interleaved in the order of the table), timed from spawn to exit; CPU time (user + system, less moved by other work on the machine than wall time) and peak RSS (\`maxRSS\`) are the process's own at exit. \`rxdag run\`${options.noJournal ? ' `--no-journal`' : ' (journaling into a temporary folder: this build has no `--no-journal`)'} \`-c ${options.concurrency}\` prints its plain lines (not a terminal) to \`/dev/null\`; the library runs the same file's DAG with \`maxConcurrency: ${options.concurrency}\` and the CLI's own sleep agent (a \`sleep: 0\` task waits one turn of I/O, \`setImmediate\`, on both sides; a ~1 ms Node timer before 2026-12-08).${options.storeRuns === undefined ? '' : ` \`rxdag runs\` lists a store into which the file was run ${options.storeRuns} times with \`rxdag run\` (its journal on, \`sync: 'fsync'\`), before the rounds.`}${reportLine(report)} Build: \`${options.dist}\`.`,
    '',
    renderCliTables(report),
    CLI_END,
  ].join('\n');
}

/** What `rxdag report` read and wrote, for the block; empty when it was not measured. */
function reportLine(report: CliReport): string {
  const { eventsLog } = report.files;
  const pages = report.cases.find((entry) => entry.name === 'reportHtml')?.outputBytes;
  if (eventsLog === undefined || pages === undefined) return '';
  return ` \`rxdag report\` reads the events log (${fileSize(eventsLog.bytes)}, ${eventsLog.events.toLocaleString('en-US')} events) that the same \`rxdag run\` with \`--events\` wrote once before the rounds, and the JSON file (\`--dag\`), and writes a page of ${fileSize(median(pages))} (median).`;
}

/** Puts `section` (markers included) into the Markdown file: replaces the block, else appends it. */
export function writeCliBlock(markdownPath: string, section: string): void {
  if (!existsSync(markdownPath)) {
    writeFileSync(markdownPath, `${section}\n`);
    return;
  }
  const text = readFileSync(markdownPath, 'utf8');
  const begin = text.indexOf(CLI_BEGIN);
  const end = begin < 0 ? -1 : text.indexOf(CLI_END, begin);
  const next =
    begin >= 0 && end >= 0
      ? text.slice(0, begin) + section + text.slice(end + CLI_END.length)
      : `${text.replace(/\n*$/, '')}\n\n${section}\n`;
  writeFileSync(markdownPath, next);
}
