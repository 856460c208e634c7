import type { CaseResult } from '../cases';
import type { MachineInfo } from '../machine';
import { markdownTable } from '../report/table';
import { formatNumber, median } from '../stats';
import type { Build } from './builds';
import type { AbCase } from './cases';

/** What `benchmarks/results/ab.json` holds, and what the Markdown report is rendered from. */

export type Side = 'base' | 'candidate';

/** One child: one case on one build. */
export interface AbRun {
  readonly case: string;
  readonly side: Side;
  /** 1-based position of this run among its side's runs of the case. */
  readonly index: number;
  /** Wall time of the whole child (start-up, graph, warm-up, timed runs). */
  readonly childMs: number;
  /** Each metric's value, by key; null when the run failed. */
  readonly values: Readonly<Record<string, number | null>>;
  readonly result?: CaseResult;
  readonly error?: string;
}

export interface MetricSummary {
  readonly case: string;
  readonly metric: string;
  readonly label: string;
  readonly base: readonly (number | null)[];
  readonly candidate: readonly (number | null)[];
  readonly baseMedian: number | null;
  readonly candidateMedian: number | null;
  /** candidate median / base median: below 1 is better for every metric here. */
  readonly ratio: number | null;
}

export interface AbReport {
  readonly command: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: MachineInfo;
  readonly loadAverageAtEnd: readonly number[];
  readonly runsPerSide: number;
  readonly base: Omit<Build, 'dist'>;
  readonly candidate: Omit<Build, 'dist'>;
  readonly cases: readonly { readonly name: string; readonly spec: AbCase['spec'] }[];
  readonly summary: readonly MetricSummary[];
  readonly runs: readonly AbRun[];
  /** True when every child returned a result. */
  readonly complete: boolean;
}

function medianOf(values: readonly (number | null)[]): number | null {
  const ok = values.filter((v): v is number => v !== null);
  return ok.length === 0 ? null : median(ok);
}

export function summarize(cases: readonly AbCase[], runs: readonly AbRun[]): MetricSummary[] {
  const rows: MetricSummary[] = [];
  for (const abCase of cases) {
    for (const metric of abCase.metrics) {
      const values = (side: Side) =>
        runs
          .filter((r) => r.case === abCase.name && r.side === side)
          .sort((a, b) => a.index - b.index)
          .map((r) => r.values[metric.key] ?? null);
      const base = values('base');
      const candidate = values('candidate');
      const baseMedian = medianOf(base);
      const candidateMedian = medianOf(candidate);
      const ratio = baseMedian === null || candidateMedian === null || baseMedian === 0 ? null : candidateMedian / baseMedian;
      rows.push({ case: abCase.name, metric: metric.key, label: metric.label, base, candidate, baseMedian, candidateMedian, ratio });
    }
  }
  return rows;
}

const cell = (value: number | null) => (value === null ? 'failed' : formatNumber(value));
const loads = (values: readonly number[]) => values.map((v) => v.toFixed(2)).join(' / ');

function describe(build: AbReport['base']): string {
  const ref = build.ref === undefined ? '' : ` (${build.ref})`;
  const changes =
    build.dirtyPaths.length > 0 ? `; ${build.dirtyPaths.length} uncommitted path(s) in src/ and tsconfig (listed in the JSON)` : '';
  const errors = build.typeErrors === undefined ? '' : ', **built with tsc errors**';
  const short = build.subject.length > 90 ? `${build.subject.slice(0, 89)}…` : build.subject;
  const subject = build.ref === undefined ? `on top of: ${short}` : short;
  return `**${build.label}**${ref} — ${subject}${changes}${errors}`;
}

export function renderMarkdown(report: AbReport): string {
  const { machine } = report;
  const lines = [
    `## rxdag A/B: ${report.candidate.label} against ${report.base.label}`,
    '',
    `- base: ${describe(report.base)}`,
    `- candidate: ${describe(report.candidate)}`,
    `- command: \`${report.command}\``,
    `- ${report.runsPerSide} run(s) a side per case, interleaved base, candidate, base, …; each a fresh \`node\` child ` +
      `running the full suite's case code on that side's \`dist/\`. Node ${machine.node}, ${machine.cpuCount} × ${machine.cpuModel}; ` +
      `load average (1/5/15 min) ${loads(machine.loadAverage)} at start, ${loads(report.loadAverageAtEnd)} at end. ${report.startedAt} → ${report.finishedAt}`,
    '',
    markdownTable(
      ['case', 'base median', 'candidate median', 'ratio (candidate/base)', 'base runs', 'candidate runs'],
      report.summary.map((row) => [
        row.label,
        cell(row.baseMedian),
        cell(row.candidateMedian),
        row.ratio === null ? '–' : row.ratio.toFixed(3),
        row.base.map(cell).join(', '),
        row.candidate.map(cell).join(', '),
      ]),
    ),
  ];
  const failed = report.runs.filter((r) => r.error !== undefined);
  if (failed.length > 0) {
    lines.push('', `**${failed.length} run(s) failed:**`, '');
    for (const run of failed) lines.push(`- ${run.case} ${run.side} #${run.index}: ${run.error!.split('\n')[0]}`);
  }
  return `${lines.join('\n')}\n`;
}
