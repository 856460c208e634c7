import type { JournaledRunSummary, JournaledRunStatus } from '../../../src/index';
import { parseDuration, type PruneRule, selectRunsToPrune } from '../../../src/cli/store/pruneSelection';

/**
 * The runs `rxdag prune --older-than/--keep` selects, as plain tables: (listing, rule) → the ids
 * removed and how many stay. Times are in days before 0; the listing is newest first, as a
 * journal's `runs()` gives it.
 */

const DAY = 86_400_000;

/** A listed run: `started` and `ended` in days before 0 (`ended` absent: not ended). */
function run(runId: string, dagId: string, status: JournaledRunStatus, started?: number, ended?: number): JournaledRunSummary {
  return {
    runId,
    dagId,
    status,
    ...(started === undefined ? {} : { startedAt: -started * DAY }),
    ...(ended === undefined ? {} : { endedAt: -ended * DAY }),
    lastSeq: 2,
    counts: { total: 1, completed: 1, failed: 0, skipped: 0, cancelled: 0 },
  };
}

const listing: readonly JournaledRunSummary[] = [
  run('running', 'nightly', 'running', 1),
  run('n4', 'nightly', 'failed', 5, 4),
  run('stopped', 'nightly', 'interrupted', 20),
  run('n3', 'nightly', 'succeeded', 31, 29),
  run('w2', 'weekly', 'cancelled', 35, 34),
  run('n2', 'nightly', 'succeeded', 40, 40),
  run('never-started', 'nightly', 'interrupted'),
  run('n1', 'nightly', 'succeeded', 60, 60),
  run('w1', 'weekly', 'succeeded', 70, 70),
];

describe('selectRunsToPrune', () => {
  const days = (n: number) => -n * DAY;
  it.each<[string, PruneRule, string[]]>([
    ['every ended run when nothing limits it', {}, ['n4', 'n3', 'w2', 'n2', 'n1', 'w1']],
    [
      'and interrupted runs when asked, never a running one',
      { interrupted: true },
      ['n4', 'stopped', 'n3', 'w2', 'n2', 'never-started', 'n1', 'w1'],
    ],
    ['ended before the time (not started before it)', { before: days(30) }, ['w2', 'n2', 'n1', 'w1']],
    [
      'interrupted runs by their start; one never started has no age',
      { before: days(10), interrupted: true },
      ['stopped', 'n3', 'w2', 'n2', 'n1', 'w1'],
    ],
    ['all but the N latest started candidates of each DAG', { keep: 2 }, ['n2', 'n1']],
    [
      'interrupted runs counted among the kept when they are candidates',
      { keep: 2, interrupted: true },
      ['n3', 'n2', 'never-started', 'n1'],
    ],
    ['nothing for a DAG with fewer runs than N', { keep: 10 }, []],
    ['every candidate with --keep 0', { keep: 0 }, ['n4', 'n3', 'w2', 'n2', 'n1', 'w1']],
    ['only what is both older and not among the N latest', { keep: 1, before: days(35) }, ['n2', 'n1', 'w1']],
  ])('should take %s', (_, rule, removed) => {
    const selection = selectRunsToPrune(listing, rule);
    expect(selection.remove.map((each) => each.runId)).toEqual(removed);
    expect(selection.kept).toBe(listing.length - removed.length);
  });

  it('should rank by start time, not by the listing, where they differ', () => {
    // listed by creation; the earlier-created run started later
    const runs = [run('created-last', 'd', 'succeeded', 9, 8), run('created-first', 'd', 'succeeded', 2, 1)];
    expect(selectRunsToPrune(runs, { keep: 1 }).remove.map((each) => each.runId)).toEqual(['created-last']);
  });
});

describe('parseDuration', () => {
  it.each<[string, number | undefined]>([
    ['45s', 45_000],
    ['90m', 90 * 60_000],
    ['12h', 12 * 3_600_000],
    ['30d', 30 * DAY],
    ['2w', 14 * DAY],
    ['0d', 0],
    ['30', undefined],
    ['1.5h', undefined],
    ['-2d', undefined],
    ['30D', undefined],
    [' 30d', undefined],
    ['30 d', undefined],
    ['3y', undefined],
    ['99999999999999w', undefined],
  ])('should read %j as %p ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});
