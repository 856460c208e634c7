import type { Journal, JournalHeader, JournaledRunSummary } from '../../../src/index';
import { CLI_MARK } from '../../../src/cli/store/programRuns';
import { startedOver } from '../../../src/cli/store/runList';

/**
 * Which interrupted runs of the command line a later one started over, read from the store's
 * headers: a store far away answers each read in a round trip, and a service may have run the
 * DAG many times since, so the later runs' headers are read a few at once, nearest first.
 */
describe('the runs a later run of the command line started over', () => {
  /** A store of `kinds` (newest first), each a run of DAG `d`: 'cli' or 'program', the last one interrupted. */
  function store(kinds: readonly ('cli' | 'program')[]) {
    const runs: JournaledRunSummary[] = kinds.map((_, i) => ({
      runId: `r${kinds.length - i}`,
      dagId: 'd',
      status: i === kinds.length - 1 ? 'interrupted' : 'succeeded',
      lastSeq: 1,
      counts: { total: 1, completed: 0, failed: 0, skipped: 0, cancelled: 0 },
    }));
    const kindOf = new Map(runs.map((run, i) => [run.runId, kinds[i]!]));
    const reads: string[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const header = async (runId: string): Promise<JournalHeader> => {
      reads.push(runId);
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5)); // a round trip
      inFlight--;
      const metadata = kindOf.get(runId) === 'cli' ? CLI_MARK : { madeBy: 'drafts-service' };
      return {
        runId,
        dagId: 'd',
        createdAt: 0,
        options: { failurePolicy: 'skip-dependents', contextInjection: true, metadata },
        spec: { id: 'd', tasks: [{ id: 'a', agent: 'shell', input: { command: 'make', cwd: '/src', env: {} } }] },
      };
    };
    const journal = { header } as unknown as Journal;
    return { journal, runs, reads, mostInFlight: () => mostInFlight };
  }

  it('should name the nearest later run of the command line past many runs of a program, reading their headers several at once', async () => {
    // newest first: a CLI run, then 40 runs of a service, then the interrupted CLI run
    const kinds = ['cli' as const, ...Array.from({ length: 40 }, () => 'program' as const), 'cli' as const];
    const { journal, runs, reads, mostInFlight } = store(kinds);
    const later = await startedOver(journal, runs, { atOnce: 4 });
    expect([...later].map(([runId, by]) => [runId, by.runId])).toEqual([['r1', 'r42']]);
    expect(mostInFlight()).toBe(4);
    expect(new Set(reads).size).toBe(reads.length); // each header read once
    // one at a time (a folder's headers, read from files): the same answer
    const folder = store(kinds);
    expect([...(await startedOver(folder.journal, folder.runs))].map(([runId, by]) => [runId, by.runId])).toEqual([['r1', 'r42']]);
    expect(folder.mostInFlight()).toBe(1);
  });

  it('should read nothing for interrupted runs a listing does not show', async () => {
    const { journal, runs, reads } = store(['cli', 'program', 'program', 'cli']);
    expect((await startedOver(journal, runs, { only: new Set(['r4']) })).size).toBe(0);
    expect(reads).toEqual([]);
  });

  it('should mark nothing when only runs of a program followed, and stop at the nearest run of the command line', async () => {
    const { journal, runs } = store(['program', 'program', 'program', 'cli']);
    expect((await startedOver(journal, runs)).size).toBe(0);
    // the nearest of two later CLI runs, the program runs between them read too
    const two = store(['cli', 'program', 'cli', 'program', 'cli']);
    expect([...(await startedOver(two.journal, two.runs))].map(([runId, by]) => [runId, by.runId])).toEqual([['r1', 'r3']]);
  });
});
