/**
 * The `runLabels` option of `collectMetrics`: label names of the application's own, added to
 * every metric, with values given per run (a tenant, a team, a region). It checks the option when
 * `collectMetrics` is called, and asks a run's values so that nothing the application's function
 * does wrong reaches the run or the event stream: a throw, or a value that is not a string, counts
 * as `''` and is reported with `console.warn` (prom-client has no logger to report on). It does not
 * decide when a run's values are asked, nor keep them: `MetricsTally` asks once per run and forgets
 * them when the run ends.
 */
import { describeKind, describeValue } from '../dag/text';

/** The `runLabels` option of `collectMetrics`. */
export interface RunLabels {
  /**
   * The label names, added to every metric (before rxdag's own `agent` and `outcome`): Prometheus
   * label names (letters, digits and `_`, not a digit first, not `__` first), none of rxdag's
   * (`agent`, `outcome`, and `le` of the histograms' buckets), each once.
   */
  readonly names: readonly string[];
  /**
   * A run's label values, by name: called once when a run starts (its `dag.created`, or the first
   * event of it the stream shows, e.g. `run.resumed`), its answer kept until the run's
   * `dag.completed`. A name it gives no string for (`undefined`, missing, or the whole answer
   * `undefined`) has the value `''`; other keys are left out.
   */
  readonly of: (runId: string) => Readonly<Record<string, string | undefined>> | undefined;
}

/** One run's label values, and the key of that set of values. */
export interface LabelSet {
  /** Tells label sets apart: the same values give the same key. */
  readonly key: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** The label set of every run when there are no run labels. */
export const NO_LABELS: LabelSet = { key: '', labels: {} };

/** The labels rxdag's metrics have of their own: `le` is a histogram bucket's bound. */
const RXDAG_LABELS: readonly string[] = ['agent', 'outcome', 'le'];

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Checks the `runLabels` option; returns its label names (none without the option) or throws a
 * TypeError naming every problem.
 */
export function checkRunLabels(option: RunLabels | undefined): readonly string[] {
  if (option === undefined) return [];
  if (typeof option !== 'object' || option === null) {
    throw new TypeError(`\`runLabels\` must be an object { names, of } (got ${describeKind(option)})`);
  }
  const { names, of } = option;
  const problems: string[] = [];
  if (!Array.isArray(names)) problems.push(`\`runLabels.names\` must be an array of label names (got ${describeKind(names)})`);
  else problems.push(...names.map((name: unknown, k) => nameProblem(name, names.indexOf(name) < k)).filter((p) => p !== undefined));
  if (typeof of !== 'function') {
    problems.push(`\`runLabels.of\` must be a function (runId) => label values | undefined (got ${describeKind(of)})`);
  }
  if (problems.length > 0) throw new TypeError(problems.join('; '));
  // a copy: the metrics keep the names, and a later change to the caller's array must not reach them
  return Object.freeze([...names]);
}

function nameProblem(name: unknown, repeated: boolean): string | undefined {
  const shown = `\`runLabels.names\`: ${describeValue(name)}`;
  if (typeof name !== 'string' || !LABEL_NAME.test(name)) {
    return `${shown} is not a Prometheus label name (letters, digits and _, not a digit first)`;
  }
  if (name.startsWith('__')) return `${shown} starts with __, which Prometheus keeps for itself`;
  if (RXDAG_LABELS.includes(name)) return `${shown} is a label of rxdag's own (${RXDAG_LABELS.join(', ')}): choose another name`;
  if (repeated) return `${shown} is given more than once`;
  return undefined;
}

/**
 * The label set `of` gives run `runId`, with a value for each of `names` (`''` for one it gives
 * no string for). Never throws: a throw of `of`, an answer that is not an object, or a value that
 * is neither a string nor `undefined` (nor `null`) is reported with `console.warn`, once for the
 * call, and counts as `''`.
 */
export function labelSetOf(names: readonly string[], of: RunLabels['of'], runId: string): LabelSet {
  let answer: unknown;
  try {
    answer = of(runId);
  } catch (error) {
    console.warn(`rxdag/prometheus: \`runLabels.of\` threw for run "${runId}"; its run labels are ""`, error);
    return labelSetWith(names, () => '');
  }
  if (answer === undefined || answer === null) return labelSetWith(names, () => '');
  if (typeof answer !== 'object' || Array.isArray(answer) || typeof (answer as Partial<PromiseLike<unknown>>).then === 'function') {
    const promise = typeof (answer as Partial<PromiseLike<unknown>>).then === 'function';
    const got = promise ? 'a promise' : describeKind(answer);
    console.warn(
      `rxdag/prometheus: \`runLabels.of\` must return an object of label values or undefined (got ${got} for run "${runId}")${promise ? ': return the values themselves' : ''}; its run labels are ""`,
    );
    return labelSetWith(names, () => '');
  }
  const values = answer as Readonly<Record<string, unknown>>;
  const notStrings = names.filter((name) => typeof values[name] !== 'string' && values[name] !== undefined && values[name] !== null);
  if (notStrings.length > 0) {
    const shown = notStrings.map((name) => `${name}: ${describeKind(values[name])}`).join(', ');
    console.warn(`rxdag/prometheus: \`runLabels.of\` gave run "${runId}" values that are not strings (${shown}); those labels are ""`);
  }
  return labelSetWith(names, (name) => {
    const value = values[name];
    return typeof value === 'string' ? value : '';
  });
}

function labelSetWith(names: readonly string[], valueOf: (name: string) => string): LabelSet {
  const labels: Record<string, string> = {};
  for (const name of names) labels[name] = valueOf(name);
  // in the order of `names`, and JSON keeps values apart whatever characters they hold
  return { key: JSON.stringify(names.map((name) => labels[name])), labels };
}
