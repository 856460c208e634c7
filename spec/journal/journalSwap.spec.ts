import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { fileJournal, type JournalWriter, resumeRun, RunNotResumableError } from '../../src';

// set by a test: run as the resume opens the journal to read it, and to append to it, before the open
let beforeReadOpen: ((file: string) => void) | undefined;
let beforeAppendOpen: ((file: string) => void) | undefined;

// every module of this file sees these (one that imports `* as fs` has a copy of the module's members, which a spy on it would miss)
jest.mock('node:fs', () => {
  const actual = jest.requireActual<typeof import('node:fs')>('node:fs');
  return {
    ...actual,
    openSync: (file: fs.PathLike, flags: fs.OpenMode = 'r', mode?: fs.Mode) => {
      if (String(file).endsWith('.jsonl'))
        (flags === 'a' ? beforeAppendOpen : typeof flags === 'number' ? beforeReadOpen : undefined)?.(String(file));
      return actual.openSync(file, flags, mode);
    },
  };
});

/**
 * A resume judges the journal file it reads, and appends to that file only: one put in its place
 * between the read and the append (a rename in a folder others can write to) is refused, the
 * file read left as it was and nothing run.
 */
describe('a journal file swapped while a resume reads it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-journal-swap-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The journal file of a run of one task `a` (agent `x`) that has not started, as a dead owner leaves it. */
  function journalOf(runId: string): string {
    const writer = fileJournal(dir).create({
      runId,
      dagId: 'd',
      spec: { id: 'd', tasks: [{ id: 'a', agent: 'x' }] },
      options: { failurePolicy: 'skip-dependents', contextInjection: true },
      createdAt: 1,
    }) as JournalWriter;
    writer.close();
    return path.join(dir, `${runId}.jsonl`);
  }

  it('should refuse to go on with a file other than the one it read', async () => {
    const file = journalOf('swapped');
    const read = fs.readFileSync(file);
    beforeAppendOpen = (opened) => {
      beforeAppendOpen = undefined;
      // another file of the same text in its place
      fs.writeFileSync(`${opened}.other`, read);
      fs.renameSync(`${opened}.other`, opened);
    };
    const ran: string[] = [];
    const resumed = lastValueFrom(
      resumeRun(fileJournal(dir), 'swapped', { agents: { x: ({ id }) => ran.push(id) }, healthCheckIntervalMs: 0 }).pipe(toArray()),
    );
    await expect(resumed).rejects.toThrow(
      new RunNotResumableError(
        'swapped',
        'untrusted',
        undefined,
        dir,
        `its file ${file} was replaced while the resume read it: resume it again`,
      ),
    );
    expect(ran).toEqual([]);
    expect(fs.readFileSync(file)).toEqual(read);
    expect(fs.existsSync(path.join(dir, 'swapped.lock'))).toBe(false);
    // as it was, it is resumed (the journal's run, not the planted one's)
    expect(
      await lastValueFrom(
        resumeRun(fileJournal(dir), 'swapped', { agents: { x: ({ id }) => ran.push(id) }, healthCheckIntervalMs: 0 }).pipe(toArray()),
      ),
    ).toContainEqual(expect.objectContaining({ type: 'dag.completed', outcome: 'succeeded' }));
    expect(ran).toEqual(['a']);
  });

  it('should judge the file it reads, not the one at the path before: one put there for the read and taken away is refused', async () => {
    const file = journalOf('planted');
    const own = fs.readFileSync(file, 'utf8');
    // the read gets a file anyone could have written, holding other tasks; the append, the run's own again
    beforeReadOpen = (opened) => {
      beforeReadOpen = undefined;
      fs.renameSync(opened, `${opened}.own`);
      fs.writeFileSync(opened, own.replace('"agent":"x"', '"agent":"evil"'), { mode: 0o666 });
      fs.chmodSync(opened, 0o666);
      beforeAppendOpen = () => {
        beforeAppendOpen = undefined;
        fs.renameSync(`${opened}.own`, opened);
      };
    };
    const ran: string[] = [];
    const agents = { x: () => ran.push('x'), evil: () => ran.push('evil') };
    const resumed = lastValueFrom(resumeRun(fileJournal(dir), 'planted', { agents, healthCheckIntervalMs: 0 }).pipe(toArray()));
    await expect(resumed).rejects.toThrow(
      /^run "planted" is not resumed from the journal at .*: its file .* can be written by other users \(mode 666\)/,
    );
    expect(ran).toEqual([]);
  });
});
