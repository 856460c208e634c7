import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, of, toArray } from 'rxjs';
import { defineDag, events, fileJournal, type JournalWriter, resumeRun, runDag } from '../../src/index';

/** The `metadata` run option: JSON data kept in a journaled run's header, checked and copied. */
describe('run metadata', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-metadata-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const dag = defineDag({ id: 'm', tasks: [{ id: 'a', agent: 'fn' }] });
  const agents = { fn: () => of(1) };

  it('should keep the metadata in the header, as it was when the run was created', async () => {
    const journal = fileJournal(dir, { sync: 'none' });
    const metadata = { estimates: { fromHistory: ['a'], runs: ['r0'] } };
    const run = runDag(dag, { agents, journal, runId: 'r1', metadata });
    metadata.estimates.runs.push('later');
    await lastValueFrom(run.pipe(toArray()));
    expect((await journal.header('r1')).options.metadata).toEqual({ estimates: { fromHistory: ['a'], runs: ['r0'] } });
  });

  it('should keep no metadata when none is given', async () => {
    const journal = fileJournal(dir, { sync: 'none' });
    await lastValueFrom(runDag(dag, { agents, journal, runId: 'r2' }).pipe(toArray()));
    expect((await journal.header('r2')).options).not.toHaveProperty('metadata');
  });

  /** Journals run `runId`, created with `metadata` and stopped before its task started. */
  async function interrupted(runId: string, metadata?: Record<string, unknown>): Promise<void> {
    const writer = (await fileJournal(dir).create({
      runId,
      dagId: 'm',
      spec: { id: 'm', tasks: [{ id: 'a', agent: 'fn' }] },
      options: { failurePolicy: 'skip-dependents', contextInjection: true, ...(metadata === undefined ? {} : { metadata }) },
      createdAt: 0,
    })) as JournalWriter;
    writer.append([events.dagCreated({ runId, seq: 1, at: 0, dagId: 'm', taskCount: 1 })]);
    await writer.close();
  }

  it("should note a resume's metadata in its run.resumed, and keep the run's first in the header", async () => {
    await interrupted('r3', { by: 'first' });
    const journal = fileJournal(dir, { sync: 'none' });
    const seen = await lastValueFrom(resumeRun(journal, 'r3', { agents, metadata: { by: 'resume' } }).pipe(toArray()));
    expect(seen[0]).toMatchObject({ type: 'run.resumed', metadata: { by: 'resume' } });
    expect((await journal.events('r3')).find((event) => event.type === 'run.resumed')).toMatchObject({ metadata: { by: 'resume' } });
    expect((await journal.header('r3')).options.metadata).toEqual({ by: 'first' });
  });

  it('should note no metadata in the run.resumed of a resume given none, though the header has some', async () => {
    await interrupted('r4', { by: 'first' });
    const seen = await lastValueFrom(resumeRun(fileJournal(dir, { sync: 'none' }), 'r4', { agents }).pipe(toArray()));
    expect(seen[0]).toMatchObject({ type: 'run.resumed' });
    expect(seen[0]).not.toHaveProperty('metadata');
  });

  it('should refuse metadata that is not JSON data, naming the option', () => {
    expect(() => runDag(dag, { agents, metadata: { when: new Date(0) } })).toThrow(/`metadata` must be JSON data: \$\.when is a Date/);
    expect(() => runDag(dag, { agents, metadata: 5 as never })).toThrow(/`metadata` must be an object of JSON data \(got 5\)/);
  });
});
