/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), for specs that scrape
 * `/metrics`: every line must be a `# HELP`, a `# TYPE` (each at most once per family, before its
 * samples) or a sample of a family whose `# TYPE` came before it; label values must be quoted with only `\\`, `\"` and `\n` escaped; values
 * must be numbers (or `+Inf`, `-Inf`, `NaN`); no series may appear twice. It throws on the first
 * line that breaks a rule, naming it. It does not read timestamps' meaning nor OpenMetrics.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** One sample line: its full name (`x_bucket` for a histogram's bucket), labels and value. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A metric family: its `# TYPE`, `# HELP` and samples. */
export interface Family {
  /** Undefined only while a HELP came first. */
  type: MetricType | undefined;
  help: string | undefined;
  readonly samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
/** The sample names a family of each type may have, from its family name. */
const SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/** Parses a scrape; throws an Error naming the line that breaks the format. */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  if (text !== '' && !text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  const lines = text.split('\n').slice(0, -1);
  lines.forEach((line, index) => {
    const fail = (why: string): never => {
      throw new Error(`line ${index + 1} ${JSON.stringify(line)}: ${why}`);
    };
    if (line.startsWith('#')) {
      const meta = new RegExp(`^# (HELP|TYPE) (${NAME})(?: (.*))?$`).exec(line);
      if (meta === null) {
        if (/^# (HELP|TYPE)\b/.test(line)) fail('a malformed HELP or TYPE line');
        return; // a comment
      }
      const [, kind, name, rest = ''] = meta;
      const family = families.get(name!) ?? { type: undefined, help: undefined, samples: [] };
      families.set(name!, family);
      if (kind === 'TYPE') {
        if (family.type !== undefined) fail(`a second TYPE for ${name}`);
        if (family.samples.length > 0) fail(`TYPE for ${name} after its samples`);
        if (!TYPES.includes(rest as MetricType)) fail(`an unknown type ${JSON.stringify(rest)}`);
        family.type = rest as MetricType;
      } else {
        if (family.help !== undefined) fail(`a second HELP for ${name}`);
        family.help = rest;
      }
      return;
    }
    if (line === '') return; // empty lines are ignored
    if (line.trim() === '') fail('a line of blanks');
    const sample = parseSample(line, fail);
    const family = familyOf(families, sample.name) ?? fail(`a sample of ${sample.name}, which no TYPE declared before it`);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seen.has(key)) fail('a series that appeared before');
    seen.add(key);
    family.samples.push(sample);
  });
  return families;
}

function familyOf(families: Map<string, Family>, sampleName: string): Family | undefined {
  for (const [name, family] of families) {
    if (family.type !== undefined && SUFFIXES[family.type].some((suffix) => `${name}${suffix}` === sampleName)) return family;
  }
  return undefined;
}

function parseSample(line: string, fail: (why: string) => never): Sample {
  const head = new RegExp(`^(${NAME})`).exec(line) ?? fail('no metric name');
  const name = head[1]!;
  let at = name.length;
  const labels: Record<string, string> = {};
  if (line[at] === '{') {
    at++;
    while (line[at] !== '}') {
      const label = /^([^=]*)="/.exec(line.slice(at)) ?? fail('a label without ="value"');
      const labelName = label[1]!;
      if (!LABEL_NAME.test(labelName)) fail(`a bad label name ${JSON.stringify(labelName)}`);
      if (labelName in labels) fail(`the label ${labelName} twice`);
      at += label[0].length;
      let value = '';
      for (;;) {
        const char = line[at] ?? fail('an unterminated label value');
        at++;
        if (char === '"') break;
        if (char !== '\\') {
          value += char;
          continue;
        }
        const escaped = line[at++];
        if (escaped === '\\' || escaped === '"') value += escaped;
        else if (escaped === 'n') value += '\n';
        else fail(`a bad escape \\${escaped ?? ''} in a label value`);
      }
      labels[labelName] = value;
      if (line[at] === ',') at++;
      else if (line[at] !== '}') fail('labels not separated by ","');
    }
    at++;
  }
  const rest = /^ (\S+)(?: (-?\d+))?$/.exec(line.slice(at)) ?? fail('no value after the name and labels');
  return { name, labels, value: parseValue(rest[1]!, fail) };
}

function parseValue(text: string, fail: (why: string) => never): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  // Prometheus reads NaN in any case (Go's ParseFloat); prom-client writes `Nan` (an event loop delay not sampled yet)
  if (/^nan$/i.test(text)) return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) fail(`a value that is not a number: ${text}`);
  return Number(text);
}

/** The value of the sample `name` with exactly `labels` (undefined when there is none). */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  for (const family of families.values()) {
    const found = family.samples.find((sample) => sample.name === name && JSON.stringify(Object.entries(sample.labels).sort()) === wanted);
    if (found !== undefined) return found.value;
  }
  return undefined;
}

/** Every sample of `name` as `labels → value`, keyed `agent=…,outcome=…` (labels sorted by name). */
export function seriesOf(families: Map<string, Family>, name: string): Record<string, number> {
  const series: Record<string, number> = {};
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      const key = Object.entries(sample.labels)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([label, value]) => `${label}=${value}`)
        .join(',');
      series[key] = sample.value;
    }
  }
  return series;
}

/** The metric families a CLI run's registry holds (`rxdag/prometheus`), sorted: what a scrape or a push of one shows. */
export const RUN_METRIC_NAMES = [
  'rxdag_attempt_duration_seconds',
  'rxdag_attempts_total',
  'rxdag_queue_wait_seconds',
  'rxdag_ready_tasks',
  'rxdag_running_tasks',
  'rxdag_runs_total',
  'rxdag_tasks_total',
];
