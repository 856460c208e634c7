/**
 * Which runs `rxdag prune` removes when it selects them by age (`--older-than`) and count
 * (`--keep`): a pure choice over the store's listing, the time given (no store, no clock). Only
 * runs that ended are candidates, and interrupted ones when asked; a running run never is. It
 * removes nothing and refuses nothing: the command does both.
 */
import type { JournaledRunSummary } from '../../index';

/** What `--older-than` takes, for the line that refuses another value. */
export const DURATION_FORM = 'a whole number and a unit, s, m, h, d or w, as in 90m, 12h, 30d or 2w';

/** Milliseconds of each unit of a duration. */
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * The milliseconds of a duration as `--older-than` takes it, or undefined when `text` is not one.
 *
 * @example
 * parseDuration('90m') // 5_400_000
 * parseDuration('30 days') // undefined
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)([smhdw])$/.exec(text);
  if (match === null) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2]!]!;
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/**
 * What is wrong with `text` as a duration: `must be …` (its form, or the longest there is in its
 * unit), for `--older-than`; `undefined` when {@link parseDuration} takes it.
 */
export function durationProblem(text: string): string | undefined {
  if (parseDuration(text) !== undefined) return undefined;
  const unit = /^\d+([smhdw])$/.exec(text)?.[1];
  return unit === undefined ? `must be ${DURATION_FORM}` : `must be at most ${Math.floor(Number.MAX_SAFE_INTEGER / UNIT_MS[unit]!)}${unit}`;
}

/** What is wrong with `text` as a count of runs from `least` on: its form, or past the largest count there is. */
export function runCountProblem(text: string, least: number): string {
  return /^\d+$/.test(text) && Number(text) >= least
    ? `must be at most ${Number.MAX_SAFE_INTEGER} runs`
    : `must be a whole number of runs, ${least} or more`;
}

/** How runs are selected; a selection without `before` or `keep` takes every candidate. */
export interface PruneRule {
  /** A run goes only when it ended before this time (ms since the epoch); an interrupted run, when it started before it. */
  readonly before?: number;
  /** How many of the newest candidates of each DAG stay, whatever their age. */
  readonly keep?: number;
  /** Whether interrupted runs (which could still be resumed) are candidates. @default false */
  readonly interrupted?: boolean;
}

/** The runs a rule selects. */
export interface PruneSelection {
  /** The runs to remove, in the order of the listing (newest first). */
  readonly remove: readonly JournaledRunSummary[];
  /** How many runs of the listing stay. */
  readonly kept: number;
}

/**
 * The runs of `runs` (a store's listing) that `rule` selects: candidates (ended, or interrupted
 * when asked) older than `before` and not among the `keep` newest candidates of their DAG, by
 * start time. A run without a start time (interrupted before its first event) has no age: it is
 * never older than `before`, and counts as the oldest of its DAG.
 *
 * @example
 * // a nightly job keeps its last 10 runs, and any run of the last 30 days
 * selectRunsToPrune(await journal.runs(), { before: Date.now() - 30 * 86_400_000, keep: 10 })
 */
export function selectRunsToPrune(runs: readonly JournaledRunSummary[], rule: PruneRule): PruneSelection {
  const candidates = runs.filter((run) => isEnded(run) || (rule.interrupted === true && run.status === 'interrupted'));
  const newest = rule.keep === undefined ? new Set<JournaledRunSummary>() : newestOfEachDag(candidates, rule.keep);
  const remove = candidates.filter((run) => !newest.has(run) && isOlder(run, rule.before));
  return { remove, kept: runs.length - remove.length };
}

function isEnded(run: JournaledRunSummary): boolean {
  return run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled';
}

/** Ended before `before` (an interrupted run: started before it); any run when there is no `before`. */
function isOlder(run: JournaledRunSummary, before: number | undefined): boolean {
  if (before === undefined) return true;
  const at = isEnded(run) ? run.endedAt : run.startedAt;
  return at !== undefined && at < before;
}

/** The `keep` latest started runs of each DAG id (ties and runs without a start: in listing order, newest first). */
function newestOfEachDag(runs: readonly JournaledRunSummary[], keep: number): Set<JournaledRunSummary> {
  const byDag = new Map<string, JournaledRunSummary[]>();
  for (const run of runs) {
    const list = byDag.get(run.dagId);
    if (list === undefined) byDag.set(run.dagId, [run]);
    else list.push(run);
  }
  const newest = new Set<JournaledRunSummary>();
  for (const list of byDag.values()) {
    // a stable sort: the listing's order stands where start times do not decide
    const latestFirst = [...list].sort((a, b) => (startOf(a) === startOf(b) ? 0 : startOf(b) - startOf(a)));
    for (const run of latestFirst.slice(0, keep)) newest.add(run);
  }
  return newest;
}

/** When a run started; the earliest time of all for one that did not. */
function startOf(run: JournaledRunSummary): number {
  return run.startedAt ?? Number.NEGATIVE_INFINITY;
}
