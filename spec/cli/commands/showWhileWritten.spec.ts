import { readFileSync } from 'node:fs';
import { fileJournal, type Journal, type JournalWriter } from '../../../src/index';
import { type RawShowOptions, showCommand } from '../../../src/cli/commands/show';
import { openStore } from '../../../src/cli/store/openStore';
import type { StoreLocation } from '../../../src/cli/store/storeLocation';
import { eventsOf } from '../support/eventBuilder';
import { tempDir } from '../support/files';
import { type InProcessResult, textSink } from '../support/inProcessCli';

/**
 * `rxdag show` of a run while its process writes it: the summary (status, counts) and the tasks
 * come from one read of the run's events, so they agree however far the run got between two
 * reads of the store; a run that ended is shown without listing the store's runs. The store is
 * opened through the command's `open`, whose journal lets the run's process write just before
 * the run's events are read, or lists the runs as they were earlier; its clock is `now`.
 */
describe('rxdag show of a run being written', () => {
  const tmp = tempDir();
  const writers: JournalWriter[] = [];
  afterEach(async () => {
    for (const writer of writers.splice(0)) await writer.close();
  });
  afterAll(() => tmp.remove());

  const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);
  /** `a -> b -> c` on the sleep agent, one second each, to its end. */
  const wholeRun = eventsOf(
    { type: 'dag.created', at: T0, dagId: 'chain', taskCount: 3 },
    { type: 'task.ready', at: T0, taskId: 'a', attempt: 1 },
    { type: 'task.started', at: T0 + 1, taskId: 'a', attempt: 1, agent: 'sleep' },
    { type: 'task.completed', at: T0 + 1001, taskId: 'a', attempt: 1, durationMs: 1000 },
    { type: 'task.ready', at: T0 + 1001, taskId: 'b', attempt: 1 },
    { type: 'task.started', at: T0 + 1002, taskId: 'b', attempt: 1, agent: 'sleep' },
    { type: 'task.completed', at: T0 + 2002, taskId: 'b', attempt: 1, durationMs: 1000 },
    { type: 'task.ready', at: T0 + 2002, taskId: 'c', attempt: 1 },
    { type: 'task.started', at: T0 + 2003, taskId: 'c', attempt: 1, agent: 'sleep' },
    { type: 'task.completed', at: T0 + 3003, taskId: 'c', attempt: 1, durationMs: 1000 },
    {
      type: 'dag.completed',
      at: T0 + 3003,
      outcome: 'succeeded',
      counts: { total: 3, completed: 3, failed: 0, skipped: 0, cancelled: 0 },
      durationMs: 3003,
    },
  );
  /** Up to a's completion. */
  const upToA = wholeRun.slice(0, 4);
  /** Up to c's start: a and b completed. */
  const upToC = wholeRun.slice(0, 9);

  /** A store holding the run `run-1` of `chain`, owned by this process (running) until the test ends. */
  const storeWithRun = async (name: string): Promise<{ store: string; journal: Journal; writer: JournalWriter }> => {
    const store = tmp.file(name);
    const journal = fileJournal(store);
    const writer = await journal.create({
      runId: 'run-1',
      dagId: 'chain',
      spec: {
        id: 'chain',
        tasks: [
          { id: 'a', agent: 'sleep' },
          { id: 'b', agent: 'sleep', deps: ['a'] },
          { id: 'c', agent: 'sleep', deps: ['b'] },
        ],
      },
      options: { failurePolicy: 'skip-dependents', contextInjection: true },
      createdAt: T0,
    });
    writers.push(writer);
    return { store, journal, writer };
  };

  /** `rxdag show run-1 --store STORE` with the options `raw`, in this process, reading through `journal`, at the clock `now`. */
  const show = async (
    store: string,
    journal: Journal,
    raw: Omit<RawShowOptions, 'store'> = {},
    now = () => T0 + 3023,
  ): Promise<InProcessResult> => {
    let stdout = '';
    let stderr = '';
    const open = (location: StoreLocation) => ({ ...openStore(location, 'read'), journal });
    const io = { stdout: textSink((text) => (stdout += text)), stderr: textSink((text) => (stderr += text)) };
    const code = await showCommand('run-1', { ...raw, store }, io, { open, now });
    return { code, stdout, stderr };
  };

  /**
   * The store `storeWithRun` made, with the run written up to a's completion; its journal lists
   * the runs as they were then, and lets the run write up to c's start just before its events
   * are read.
   */
  const writtenBetweenReads = async (name: string): Promise<{ store: string; journal: Journal }> => {
    const { store, journal, writer } = await storeWithRun(name);
    writer.append(upToA);
    const listedThen = await journal.runs();
    expect(listedThen).toMatchObject([{ runId: 'run-1', status: 'running', counts: { completed: 1 } }]);
    let written = false;
    const events = async (runId: string) => {
      if (!written) writer.append(upToC.slice(upToA.length));
      written = true;
      return journal.events(runId);
    };
    return { store, journal: { ...journal, runs: async () => listedThen, events } };
  };

  it('should count the tasks as its table shows them when the run wrote more since the store listed it', async () => {
    const { store, journal } = await writtenBetweenReads('grown');

    const shown = await show(store, journal);

    expect(shown).toMatchObject({ code: 0, stderr: '' });
    expect(shown.stdout).toMatch(/^run run-1: DAG chain, running\n/);
    expect(shown.stdout).toContain('\n  tasks    3: 2 completed, 0 failed, 0 skipped, 0 cancelled, 1 not ended\n');
    expect(shown.stdout).toMatch(/\na +completed .*\nb +completed .*\nc +running /);
  });

  it('should give --json counts that agree with the states of its tasks', async () => {
    const { store, journal } = await writtenBetweenReads('grown-json');

    const shown = await show(store, journal, { json: true });

    expect(shown.code).toBe(0);
    const details = JSON.parse(shown.stdout) as { status: string; counts: { completed: number }; tasks: { state: string }[] };
    expect(details.status).toBe('running');
    expect(details.tasks.map((task) => task.state)).toEqual(['completed', 'completed', 'running']);
    expect(details.counts.completed).toBe(2);
  });

  it('should call a run running when it ended after its events were read, as it was for those events', async () => {
    const { store, journal, writer } = await storeWithRun('ended-since');
    writer.append(wholeRun);
    // the events as read before the run wrote its end; the listing made after
    const readBeforeTheEnd: Journal = { ...journal, events: async () => upToC };

    const shown = await show(store, readBeforeTheEnd);

    expect(shown).toMatchObject({ code: 0, stderr: '' });
    expect(shown.stdout).toMatch(/^run run-1: DAG chain, running\n/);
    expect(shown.stdout).toContain('\n  tasks    3: 2 completed, 0 failed, 0 skipped, 0 cancelled, 1 not ended\n');
  });

  it('should show a run that ended without listing the runs of the store', async () => {
    const { store, journal, writer } = await storeWithRun('ended');
    writer.append(wholeRun);
    const listings: string[] = [];
    const noListing: Journal = {
      ...journal,
      runs: async () => {
        listings.push('runs');
        throw new Error('the store lists its runs');
      },
    };

    const shown = await show(store, noListing);

    expect(shown).toMatchObject({ code: 0, stderr: '' });
    expect(shown.stdout).toMatch(/^run run-1: DAG chain, succeeded\n/);
    expect(shown.stdout).toContain('\n  tasks    3: 3 completed, 0 failed, 0 skipped, 0 cancelled\n');
    expect(listings).toEqual([]);
  });

  it('should say in the report how long the attempt still running had run when the report was written', async () => {
    const { store, journal, writer } = await storeWithRun('report');
    writer.append(upToC);
    const report = tmp.file('running.html');

    // written 1.02 s after c started
    const shown = await show(store, journal, { report }, () => T0 + 3023);

    expect(shown).toMatchObject({ code: 0, stderr: `wrote ${report} (${upToC.length} events)\n` });
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<span class="outcome badge unfinished">unfinished</span>');
    expect(html).toMatch(
      /<rect class="bar unfinished[^"]*" data-task="c" data-attempt="1"[^>]*><title>c #1 on sleep: unfinished, running for 1\.02 s when the report was written \(2\.00 s → 3\.02 s\)<\/title>/,
    );
  });
});
