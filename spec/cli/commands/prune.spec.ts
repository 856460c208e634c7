import { mkdirSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { events, fileJournal, type JournaledRun, type JournalWriter } from '../../../src/index';
import { pruneCommand, type RawPruneOptions } from '../../../src/cli/commands/prune';
import { formatClock } from '../../../src/cli/output/textTable';
import type { StoreLocation } from '../../../src/cli/store/storeLocation';
import { tempDir } from '../support/files';
import { textSink } from '../support/inProcessCli';

/**
 * `rxdag prune` when the store changes under it: a run another process removed between the
 * listing and its removal is gone as asked (one line on stdout, no error); a run taken by a
 * process meanwhile is one line on stderr, the other runs are removed all the same, and the
 * command ends with exit 2. The store is opened through the command's `open`, whose journal lets
 * another process act just before a given run's removal; its clock is `now`.
 */
describe('pruneCommand', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  const NOW = Date.UTC(2026, 10, 30, 12);
  const DAY = 86_400_000;

  /** A store folder with runs `runIds`, each started `daysAgo` before {@link NOW}; those in `interrupted` stopped there, the others ended. */
  const storeWith = async (name: string, runIds: readonly string[], daysAgo = 40, interrupted: readonly string[] = []): Promise<string> => {
    const dir = tmp.file(name);
    mkdirSync(dir);
    const at = NOW - daysAgo * DAY;
    for (const runId of runIds) {
      const writer = fileJournal(dir).create({
        runId,
        dagId: 'd',
        spec: { id: 'd', tasks: [{ id: 'a', agent: 'x' }] },
        options: { failurePolicy: 'continue', contextInjection: false },
        createdAt: at,
      }) as JournalWriter;
      const completed = events.dagCompleted({
        runId,
        seq: 2,
        at,
        outcome: 'succeeded',
        counts: { total: 1, completed: 1, failed: 0, skipped: 0, cancelled: 0 },
        durationMs: 0,
        failures: [],
      });
      const created = events.dagCreated({ runId, seq: 1, at, dagId: 'd', taskCount: 1 });
      writer.append(interrupted.includes(runId) ? [created] : [created, completed]);
      await writer.close();
    }
    return dir;
  };

  /** Runs the command on `dir`; before removing a run, `before[runId]` acts on the store as another process would. */
  const prune = async (dir: string, runIds: string[], raw: RawPruneOptions, before: Record<string, () => void> = {}) => {
    let stdout = '';
    let stderr = '';
    const open = (location: StoreLocation) => {
      const inner = fileJournal(dir);
      const remove = async (runId: string) => {
        before[runId]?.();
        return inner.remove!(runId);
      };
      return { journal: { ...inner, remove }, location, secretVariables: [], close: async () => {} };
    };
    const io = { stdout: textSink((text) => (stdout += text)), stderr: textSink((text) => (stderr += text)) };
    const code = await pruneCommand(runIds, { ...raw, store: dir }, io, { now: () => NOW, open });
    return { code, stdout, stderr };
  };

  it('should count --older-than back from its clock', async () => {
    const dir = await storeWith('clock', ['a'], 10);
    expect(await prune(dir, [], { olderThan: '11d', dryRun: true })).toMatchObject({ code: 0, stdout: 'no runs to remove\n' });
    expect(await prune(dir, [], { olderThan: '9d', dryRun: true })).toMatchObject({
      code: 0,
      stdout: `would remove a  (succeeded, ended ${formatClock(NOW - 10 * DAY)})\nwould remove 1 run; 0 kept\n`,
    });
  });

  it('should take every ended run with --older-than 0s, one a clock ahead wrote as ending after now too', async () => {
    // its times two hours ahead of this clock
    const future = await storeWith('future', ['ahead'], -2 / 24);
    expect(await prune(future, [], { olderThan: '0s', dryRun: true })).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^would remove ahead .*\nwould remove 1 run; 0 kept\n$/),
    });
    // any other age counts back from now: a run that ends after now is not older
    expect(await prune(future, [], { olderThan: '1s', dryRun: true })).toMatchObject({ code: 0, stdout: 'no runs to remove\n' });
  });

  it('should count a run removed since the listing as gone, report one taken on stderr, remove the others, and end with exit 2', async () => {
    const dir = await storeWith('changed', ['a', 'b', 'c', 'd'], 40, ['c']);
    let taken: JournaledRun | undefined;
    try {
      const result = await prune(
        dir,
        [],
        { olderThan: '30d', interrupted: true },
        {
          // another process removes b first
          b: () => void fileJournal(dir).remove!('b'),
          // another one resumes c, interrupted when listed
          c: () => (taken = fileJournal(dir).resume('c') as JournaledRun),
        },
      );

      expect(result.code).toBe(2);
      const at = formatClock(NOW - 40 * DAY);
      expect(result.stdout).toBe(
        [
          `removed a  (succeeded, ended ${at})`,
          'already removed b  (by another process, since the listing)',
          `removed d  (succeeded, ended ${at})`,
          'removed 2 runs; 0 kept; 1 already removed by another process; 1 not removed',
          '',
        ].join('\n'),
      );
      expect(result.stderr).toBe(
        `rxdag: run "c" is owned by a live process (${hostname()}:${process.pid} (this process)); wait for it to end or stop it first (rxdag runs --store ${dir} lists it as running)\n`,
      );
      expect(readdirSync(dir).sort()).toEqual(['c.jsonl', 'c.lock']);
    } finally {
      await taken?.writer.close();
    }
  });

  it('should end with exit 0 when another prune removed every run it selected first', async () => {
    const dir = await storeWith('pruned-twice', ['a', 'b']);
    const otherPrune = (runId: string) => () => void fileJournal(dir).remove!(runId);

    const result = await prune(dir, [], { keep: '0' }, { a: otherPrune('a'), b: otherPrune('b') });

    expect(result).toEqual({
      code: 0,
      stdout: [
        'already removed a  (by another process, since the listing)',
        'already removed b  (by another process, since the listing)',
        'removed 0 runs; 0 kept; 2 already removed by another process',
        '',
      ].join('\n'),
      stderr: '',
    });
    expect(readdirSync(dir)).toEqual([]);
  });
});
