import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  createScheduler,
  type DagEvent,
  events,
  fileJournal,
  JournalCorruptError,
  type JournalHeader,
  JournalWriteError,
  type JournalWriter,
  resumeRun,
  RunExistsError,
  RunLockedError,
  RunNotResumableError,
  runDag,
  defineDag,
  type Agent,
} from '../../src';
import { lastValueFrom } from 'rxjs';
import { MAX_NAME_BYTES } from '../../src/journal/fileNames';
import { readEndedRun } from '../../src/journal/fileRecord';
import { summarize } from '../../src/journal/summary';
import { describeJournalContract } from './contract';
import { withWrappedWriters } from '../support/journals';

/** The file journal's own behaviour; the contract every journal keeps is `contract.ts`'s. */

const roots: string[] = [];
function freshDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-journal-'));
  roots.push(dir);
  return dir;
}
/**
 * A folder away from any folder all users can write to, as a team's share is (`os.tmpdir()` is
 * one): beside the dependencies, which this user installed.
 */
function awayFromTmp(): string {
  // (by its real path: a node_modules that is a link would be one more in the spec's chain of 40, the system's limit)
  const base = path.join(fs.realpathSync(path.join(__dirname, '..', '..', 'node_modules')), '.cache');
  fs.mkdirSync(base, { recursive: true });
  const dir = fs.mkdtempSync(path.join(base, 'rxdag-journal-'));
  roots.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of roots) fs.rmSync(dir, { recursive: true, force: true });
});

describeJournalContract('fileJournal', async () => {
  const dir = freshDir();
  return { journal: fileJournal(dir), cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) };
});

const header = (runId: string): JournalHeader => ({
  runId,
  dagId: 'd',
  spec: {
    id: 'd',
    tasks: [
      { id: 'a', agent: 'x' },
      { id: 'b', agent: 'x', deps: ['a'] },
    ],
  },
  options: { failurePolicy: 'skip-dependents', contextInjection: true },
  createdAt: 1,
});

/** A legal start of a run: created, a ready, a started, a completed. */
function legalStart(runId: string): DagEvent[] {
  const head = (seq: number) => ({ runId, seq, at: seq });
  return [
    events.dagCreated({ ...head(1), dagId: 'd', taskCount: 2 }),
    events.taskReady({ ...head(2), taskId: 'a', attempt: 1 }),
    events.taskStarted({ ...head(3), taskId: 'a', attempt: 1, agent: 'x' }),
    events.taskCompleted({ ...head(4), taskId: 'a', attempt: 1, durationMs: 1 }),
  ];
}

/** A journal written by the file journal itself, then closed as a dead owner would leave it. */
function written(dir: string, runId: string, list: readonly DagEvent[] = legalStart(runId)): string {
  const writer = fileJournal(dir).create(header(runId)) as JournalWriter;
  writer.append(list);
  writer.close();
  return path.join(dir, `${runId}.jsonl`);
}

/** Resumes `runId` with a no-op agent, to its end; what it raised, if anything. */
async function resumeOutcome(dir: string, runId: string): Promise<{ error?: unknown; events: DagEvent[] }> {
  const seen: DagEvent[] = [];
  return new Promise((resolve) =>
    resumeRun(fileJournal(dir), runId, { agents: { x: () => 'ok' }, healthCheckIntervalMs: 0 }).subscribe({
      next: (e) => seen.push(e),
      error: (error) => resolve({ error, events: seen }),
      complete: () => resolve({ events: seen }),
    }),
  );
}

/**
 * `work` run in the working directory `dir`, reached the way `$PWD` says (`shellsWay`; undefined:
 * unset, as a launcher leaves it), both put back after.
 */
async function inFolder<T>(dir: string, shellsWay: string | undefined, work: () => Promise<T>): Promise<T> {
  const [cwd, pwd] = [process.cwd(), process.env.PWD];
  const setPwd = (value: string | undefined) => (value === undefined ? delete process.env.PWD : (process.env.PWD = value));
  process.chdir(dir);
  setPwd(shellsWay);
  try {
    return await work();
  } finally {
    process.chdir(cwd);
    setPwd(pwd);
  }
}

describe('fileJournal', () => {
  it("should make the store's own folder for its user only, and leave a folder that exists as it is", () => {
    const parent = freshDir();
    const store = path.join(parent, 'made', '.rxdag');
    written(store, 'private');
    expect(fs.statSync(store).mode & 0o777).toBe(0o700 & ~process.umask());
    expect(fs.statSync(path.dirname(store)).mode & 0o777).toBe(0o777 & ~process.umask());
    const shared = path.join(parent, 'shared');
    fs.mkdirSync(shared, { mode: 0o775 });
    fs.chmodSync(shared, 0o775);
    written(shared, 'team');
    expect(fs.statSync(shared).mode & 0o777).toBe(0o775);
    // the run's file is none of other users' there: it holds what its tasks are given
    expect(fs.statSync(path.join(shared, 'team.jsonl')).mode & 0o777).toBe(0o660 & ~process.umask());
  });

  it("should not resume a run from another user's file in a folder anyone can write to, or one others can write to, changing nothing", async () => {
    const dir = freshDir();
    fs.chmodSync(dir, 0o1777); // a shared /tmp-like folder: anyone can put a file there
    const own = process.getuid!();
    // another user's file: as root, one chowned to nobody; else this user's file, the process made to run as another
    const foreign = written(dir, 'planted');
    const otherUid = own === 0 ? 65534 : own + 1;
    if (own === 0) fs.chownSync(foreign, otherUid, otherUid);
    else jest.spyOn(process, 'getuid').mockReturnValue(otherUid);
    const ranBy = own === 0 ? own : otherUid;
    const before = fs.readFileSync(foreign);
    const planted = await resumeOutcome(dir, 'planted');
    jest.restoreAllMocks();
    expect(planted.error).toBeInstanceOf(RunNotResumableError);
    expect(planted.error).toMatchObject({ reason: 'untrusted', runId: 'planted' });
    expect((planted.error as Error).message).toBe(
      `run "planted" is not resumed from the journal at ${dir}: its file ${foreign} is another user's ` +
        `(uid ${own === 0 ? otherUid : own}; this process runs as uid ${ranBy}), in a folder any user can write to, who could have ` +
        'written the tasks a resume would run: resume it as that user, or make the file yours if you trust what it holds',
    );
    expect(planted.events).toEqual([]);
    expect(fs.readFileSync(foreign)).toEqual(before);
    expect(fs.existsSync(path.join(dir, 'planted.lock'))).toBe(false);

    const open = written(dir, 'open');
    fs.chmodSync(open, 0o646);
    const opened = await resumeOutcome(dir, 'open');
    expect((opened.error as Error).message).toBe(
      `run "open" is not resumed from the journal at ${dir}: its file ${open} can be written by other users (mode 646), ` +
        'who could have written the tasks a resume would run: chmod o-w the file if you trust what it holds',
    );
    expect(opened.events).toEqual([]);
    // taken up once trusted; a file its group can write is
    fs.chmodSync(open, 0o660);
    expect((await resumeOutcome(dir, 'open')).error).toBeUndefined();
  });

  /** A journal of another user (uid 65534 as root; else this user's, the process made to run as another), resumed as uid `as`. */
  async function resumedAs(dir: string, runId: string, as: (own: number) => number) {
    const own = process.getuid!();
    const file = written(dir, runId);
    if (own === 0) fs.chownSync(file, 65534, 65534);
    jest.spyOn(process, 'getuid').mockReturnValue(as(own === 0 ? 65533 : own + 1));
    try {
      return await resumeOutcome(dir, runId);
    } finally {
      jest.restoreAllMocks();
    }
  }

  it("should resume another user's run from a folder other users cannot write to: a teammate's, or root's own on a share that maps root to another user", async () => {
    for (const mode of [0o2775, 0o755]) {
      const dir = awayFromTmp();
      fs.chmodSync(dir, mode);
      for (const [name, as] of [
        ['teammate', (someone: number) => someone],
        ['root', () => 0],
      ] as const) {
        const resumed = await resumedAs(dir, `${name}-${mode.toString(8)}`, as);
        expect(resumed.error).toBeUndefined();
        expect(resumed.events[resumed.events.length - 1]).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
      }
    }
  });

  it("should not resume another user's run from a folder any user could have put in place, below a folder any user can write to", async () => {
    const own = process.getuid!();
    const other = own === 0 ? 65534 : own + 1;
    /** A store folder in `parent` (mode `parentMode`) that is `owner`'s, with another user's journal ('mine': as root only). */
    const judged = async (parentMode: number, owner: 'theirs' | 'mine', folderMode = 0o755, runId = 'squat') => {
      const parent = freshDir();
      fs.chmodSync(parent, parentMode);
      const store = path.join(parent, 'store');
      fs.mkdirSync(store);
      fs.chmodSync(store, folderMode);
      const file = written(store, runId);
      // as root, the folder and file chowned to nobody; else both this user's, the process made to run as another
      if (own === 0) {
        fs.chownSync(file, other, other);
        if (owner === 'theirs') fs.chownSync(store, other, 0);
      } else jest.spyOn(process, 'getuid').mockReturnValue(other);
      try {
        return { parent, file, outcome: await resumeOutcome(store, runId) };
      } finally {
        jest.restoreAllMocks();
      }
    };
    // another user made the store's folder in a /tmp-like folder before this user's first run there
    const squat = await judged(0o1777, 'theirs');
    expect(squat.outcome.error).toMatchObject({ reason: 'untrusted', runId: 'squat' });
    expect((squat.outcome.error as Error).message).toContain(
      `its file ${squat.file} is another user's (uid ${own === 0 ? other : own}; this process runs as uid ${own === 0 ? own : other}), ` +
        `reached through a folder or symlink any user could have put in ${fs.realpathSync(squat.parent)} (which any user can write to), who could have written the tasks`,
    );
    expect(squat.outcome.events).toEqual([]);
    // a folder shared with a group of this user's is a team's store, wherever it is
    expect((await judged(0o1777, 'theirs', 0o2775, 'team')).outcome.error).toBeUndefined();
    if (own === 0) {
      // this user's own folder, in one any user may write to but not rename others' files in (sticky): kept
      expect((await judged(0o1777, 'mine', 0o755, 'kept')).outcome.error).toBeUndefined();
      // … and where the folder above is not sticky, anyone could have swapped it for theirs
      expect((await judged(0o777, 'mine', 0o755, 'swapped')).outcome.error).toMatchObject({ reason: 'untrusted' });
    }
  });

  it("should not resume another user's run through a symlink any user could have planted, to their folder away from /tmp", async () => {
    const own = process.getuid!();
    const other = own === 0 ? 65534 : own + 1;
    // their store, in a folder of theirs away from /tmp: a teammate's, resumed when named there
    const theirs = awayFromTmp();
    const file = written(theirs, 'linked');
    // in /tmp, a folder of theirs holding a symlink to it, where this user runs `rxdag resume`
    const planted = freshDir();
    fs.chmodSync(planted, 0o755);
    fs.symlinkSync(theirs, path.join(planted, '.rxdag'));
    if (own === 0) for (const entry of [theirs, file, planted]) fs.chownSync(entry, other, other);
    if (own === 0) fs.lchownSync(path.join(planted, '.rxdag'), other, other);
    else jest.spyOn(process, 'getuid').mockReturnValue(other);
    try {
      const through = await resumeOutcome(path.join(planted, '.rxdag'), 'linked');
      expect(through.error).toMatchObject({ reason: 'untrusted', runId: 'linked' });
      expect((through.error as Error).message).toContain(
        `reached through a folder or symlink any user could have put in ${fs.realpathSync(os.tmpdir())} (which any user can write to)`,
      );
      expect(through.events).toEqual([]);
      // … and as the store of a working directory the shell reached through the link (`cd /tmp/x/.rxdag`)
      const viaLink = path.join(planted, '.rxdag');
      expect((await inFolder(viaLink, viaLink, () => resumeOutcome('.', 'linked'))).error).toMatchObject({ reason: 'untrusted' });
      // … and `..` of a folder of theirs the shell reached through a link in /tmp: where the system goes, by that link
      const sub = path.join(theirs, 'sub');
      fs.mkdirSync(sub);
      if (own === 0) fs.chownSync(sub, other, other);
      fs.symlinkSync(sub, path.join(planted, 'sub'));
      if (own === 0) fs.lchownSync(path.join(planted, 'sub'), other, other);
      const up = await inFolder(path.join(planted, 'sub'), path.join(planted, 'sub'), () => resumeOutcome('..', 'linked'));
      expect(up.error).toMatchObject({ reason: 'untrusted' });
      expect((up.error as Error).message).toContain(`any user could have put in ${fs.realpathSync(os.tmpdir())}`);
      // … and through a chain of links the system follows, whose walk with the store's own link is one too many
      const chain = Array.from({ length: 40 }, (_, i) => path.join(planted, `l${i}`));
      for (const [i, link] of chain.entries()) {
        fs.symlinkSync(chain[i + 1] ?? theirs, link);
        if (own === 0) fs.lchownSync(link, other, other);
      }
      fs.symlinkSync(theirs, path.join(theirs, 'again'));
      if (own === 0) fs.lchownSync(path.join(theirs, 'again'), other, other);
      const looped = await inFolder(chain[0]!, chain[0]!, () => resumeOutcome('again', 'linked'));
      expect(looped.error).toMatchObject({ reason: 'untrusted' });
      expect((looped.error as Error).message).toContain(`any user could have put in ${fs.realpathSync(os.tmpdir())}`);
      // … and through a link put in /tmp itself whose group is one of this user's: a link's mode lets its group write, and shares nothing
      const inTmp = path.join(os.tmpdir(), `rxdag-spec-link-${process.pid}`);
      fs.symlinkSync(theirs, inTmp);
      try {
        if (own === 0) fs.lchownSync(inTmp, other, process.getgroups!()[0]!);
        expect((await resumeOutcome(inTmp, 'linked')).error).toMatchObject({ reason: 'untrusted' });
      } finally {
        fs.unlinkSync(inTmp);
      }
      // named where it is, it is their store
      expect((await resumeOutcome(theirs, 'linked')).error).toBeUndefined();
    } finally {
      jest.restoreAllMocks();
    }
  });

  it("should not resume another user's run in a working directory entered by a way it cannot judge, unless a group of this user's shares it", async () => {
    const own = process.getuid!();
    const other = own === 0 ? 65534 : own + 1;
    // their store, away from /tmp; this process started in it by a launcher (`env -C`, a program's `cwd`) that left $PWD behind
    const theirs = awayFromTmp();
    fs.chmodSync(theirs, 0o755);
    const file = written(theirs, 'unseen');
    if (own === 0) for (const entry of [theirs, file]) fs.chownSync(entry, other, other);
    else jest.spyOn(process, 'getuid').mockReturnValue(other);
    const resumedWith = (shellsWay: string | undefined) => inFolder(theirs, shellsWay, () => resumeOutcome('.', 'unseen'));
    try {
      for (const shellsWay of [undefined, process.cwd(), 'relative/path']) {
        const refused = await resumedWith(shellsWay);
        expect(refused.error).toMatchObject({ reason: 'untrusted', runId: 'unseen' });
        expect((refused.error as Error).message).toContain(
          `is another user's (uid ${own === 0 ? other : own}; this process runs as uid ${own === 0 ? own : other}), in the working directory, ` +
            "entered by a way this process cannot judge ($PWD does not name it: a launcher such as sudo, env -C or a program's cwd left it out)",
        );
        expect(refused.events).toEqual([]);
      }
      // a shell's way there, as $PWD names it, is judged: here, no folder any user can write to
      expect((await resumedWith(theirs)).error).toBeUndefined();
      // named by its whole path, it is judged as written, whatever the way into the working directory
      const whole = written(theirs, 'whole');
      if (own === 0) fs.chownSync(whole, other, other);
      expect((await inFolder(theirs, undefined, () => resumeOutcome(theirs, 'whole'))).error).toBeUndefined();
    } finally {
      jest.restoreAllMocks();
    }
    // a team's folder, a group of this user's sharing it: whatever the way there
    const team = awayFromTmp();
    const teamFile = written(team, 'team');
    fs.chmodSync(team, 0o2775);
    if (own === 0) {
      fs.chownSync(team, other, 0);
      fs.chownSync(teamFile, other, 0);
    } else jest.spyOn(process, 'getuid').mockReturnValue(other);
    try {
      expect((await inFolder(team, undefined, () => resumeOutcome('.', 'team'))).error).toBeUndefined();
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('should resume a run of a relative store where the journal was made, after the process changed directory', async () => {
    const [made, other] = [freshDir(), freshDir()];
    const cwd = process.cwd();
    process.chdir(made);
    let journal: ReturnType<typeof fileJournal>;
    try {
      journal = fileJournal('.rxdag');
      written(path.join(made, '.rxdag'), 'moved');
    } finally {
      process.chdir(cwd);
    }
    process.chdir(other);
    try {
      const seen: DagEvent[] = [];
      const error = await new Promise<unknown>((resolve) =>
        resumeRun(journal, 'moved', { agents: { x: () => 'ok' }, healthCheckIntervalMs: 0 }).subscribe({
          next: (e) => seen.push(e),
          error: resolve,
          complete: () => resolve(undefined),
        }),
      );
      expect(error).toBeUndefined();
      expect(seen.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
      // in the journal it was made with, nothing made here
      expect(fs.readFileSync(path.join(made, '.rxdag', 'moved.jsonl'), 'utf8')).toContain('"type":"dag.completed"');
      expect(fs.readdirSync(other)).toEqual([]);
    } finally {
      process.chdir(cwd);
    }
  });

  it('should resume a relative store named through a symlink and .. where its runs were made (link/../runs)', async () => {
    const base = freshDir();
    fs.mkdirSync(path.join(base, 'elsewhere', 'inner'), { recursive: true });
    fs.symlinkSync(path.join(base, 'elsewhere', 'inner'), path.join(base, 'link'));
    const cwd = process.cwd();
    process.chdir(base);
    try {
      // made where the path reads (./runs), as `rxdag run --store link/../runs` makes it
      written('link/../runs', 'dotted');
      expect(fs.readdirSync(path.join(base, 'runs'))).toContain('dotted.jsonl');
      const resumed = await resumeOutcome('link/../runs', 'dotted');
      expect(resumed.error).toBeUndefined();
      expect(resumed.events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    } finally {
      process.chdir(cwd);
    }
  });

  it('should make a lock file only its owner can write, whatever the umask (others could hold or free the run)', () => {
    const dir = freshDir();
    const umask = process.umask(0);
    try {
      const writer = fileJournal(dir).create(header('open-umask')) as JournalWriter;
      expect(fs.statSync(path.join(dir, 'open-umask.lock')).mode & 0o777).toBe(0o644);
      expect(fs.statSync(path.join(dir, 'open-umask.jsonl')).mode & 0o777).toBe(0o660);
      writer.close();
    } finally {
      process.umask(umask);
    }
  });

  it("should make a journal none of other users' (its group's as the umask allows)", () => {
    const dir = freshDir();
    fs.chmodSync(dir, 0o755);
    written(dir, 'mine');
    expect(fs.statSync(path.join(dir, 'mine.jsonl')).mode & 0o777).toBe(0o660 & ~process.umask());
    expect(fs.statSync(path.join(dir, 'mine.jsonl')).mode & 0o007).toBe(0);
  });

  it('should leave a torn last line where it was when the disk is full as it is moved, the resume failing on it', async () => {
    const dir = freshDir();
    const file = written(dir, 'full');
    fs.appendFileSync(file, '{"type":"task.ready","runId":"full","se');
    const before = fs.readFileSync(file, 'utf8');
    fs.symlinkSync('/dev/full', `${file}.torn`); // every write there: ENOSPC
    const { error } = await resumeOutcome(dir, 'full');
    expect(String(error)).toMatch(/ENOSPC/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  it('should ignore a torn last line on resume, keeping its bytes beside the journal', async () => {
    const dir = freshDir();
    const file = written(dir, 'torn');
    fs.appendFileSync(file, '{"type":"task.ready","runId":"torn","se');
    const { error, events: resumed } = await resumeOutcome(dir, 'torn');
    expect(error).toBeUndefined();
    expect(resumed[0]).toMatchObject({ type: 'run.resumed', resumedAfterSeq: 4 });
    expect(resumed[resumed.length - 1]).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    expect(fs.readFileSync(`${file}.torn`, 'utf8')).toContain('{"type":"task.ready","runId":"torn","se');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.slice(1).map((line) => (JSON.parse(line) as DagEvent).seq)).toEqual(lines.slice(1).map((_, k) => k + 1));
  });

  type Damage = [string, (file: string) => void, RegExp | typeof RunNotResumableError | typeof RunLockedError];
  it.each<Damage>([
    [
      'a corrupt middle line',
      (file) => {
        const lines = fs.readFileSync(file, 'utf8').split('\n');
        lines[2] = '{"type": "task.ready", garbage';
        fs.writeFileSync(file, lines.join('\n'));
      },
      /journal of run "bad" is corrupt at \/.+\/bad\.jsonl:3: not JSON/,
    ],
    [
      'a gap in seq',
      (file) => {
        const lines = fs.readFileSync(file, 'utf8').split('\n');
        lines.splice(2, 1);
        fs.writeFileSync(file, lines.join('\n'));
      },
      /corrupt at \/.+\/bad\.jsonl:3: task.started has seq 3, expected 2 \(a gap in seq\)/,
    ],
    [
      'an illegal transition',
      (file) => {
        const lines = fs.readFileSync(file, 'utf8').split('\n');
        lines[3] = JSON.stringify(events.taskCompleted({ runId: 'bad', seq: 3, at: 3, taskId: 'b', attempt: 1, durationMs: 1 }));
        fs.writeFileSync(file, lines.join('\n'));
      },
      /corrupt at \/.+\/bad\.jsonl:4: task.completed for task "b" in status pending \(expected running\)/,
    ],
    [
      'an illegal transition before a torn last line (the line is not cut either)',
      (file) => {
        const lines = fs.readFileSync(file, 'utf8').split('\n');
        lines[3] = JSON.stringify(events.taskCompleted({ runId: 'bad', seq: 3, at: 3, taskId: 'b', attempt: 1, durationMs: 1 }));
        fs.writeFileSync(file, `${lines.join('\n')}{"type":"task.ready","runId":"bad","se`);
      },
      /corrupt at \/.+\/bad\.jsonl:4: task.completed for task "b" in status pending \(expected running\)/,
    ],
    [
      'events before the run was created (its dag.created lost)',
      (file) => {
        const [head, , ...rest] = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
        const renumbered = rest.map((line) =>
          JSON.stringify({ ...(JSON.parse(line) as DagEvent), seq: (JSON.parse(line) as DagEvent).seq - 1 }),
        );
        fs.writeFileSync(file, `${[head, ...renumbered].join('\n')}\n`);
      },
      /corrupt at \/.+\/bad\.jsonl:2: task.ready for task "a" in a run that is created \(expected running\)/,
    ],
    [
      'an end in the middle of the record',
      (file) => {
        const [head, ...rest] = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
        const counts = { total: 2, completed: 0, failed: 0, skipped: 0, cancelled: 0 };
        const end = events.dagCompleted({ runId: 'bad', seq: 3, at: 3, outcome: 'succeeded', counts, durationMs: 2, failures: [] });
        const after = rest
          .slice(2)
          .map((line) => JSON.stringify({ ...(JSON.parse(line) as DagEvent), seq: (JSON.parse(line) as DagEvent).seq + 1 }));
        fs.writeFileSync(file, `${[head, ...rest.slice(0, 2), JSON.stringify(end), ...after].join('\n')}\n`);
      },
      /corrupt at \/.+\/bad\.jsonl:4: dag.completed while 2 tasks have not ended/,
    ],
    [
      'an event of a type rxdag does not write',
      (file) => {
        const lines = fs.readFileSync(file, 'utf8').split('\n');
        lines[3] = lines[3]!.replace('"type":"task.started"', '"type":"task.exploded"');
        fs.writeFileSync(file, lines.join('\n'));
      },
      /corrupt at \/.+\/bad\.jsonl:4: "task.exploded" is not an event type \(written by a later rxdag\?\)/,
    ],
    [
      'a task made ready before its dependency completed',
      (file) => {
        const lines = fs.readFileSync(file, 'utf8').split('\n');
        lines[3] = JSON.stringify(events.taskReady({ runId: 'bad', seq: 3, at: 3, taskId: 'b', attempt: 1 }));
        fs.writeFileSync(file, lines.join('\n'));
      },
      /corrupt at \/.+\/bad\.jsonl:4: task.ready for task "b", which waits for a dependency that has not ended as its rule needs/,
    ],
    [
      'a seq written as a string',
      (file) => {
        const lines = fs.readFileSync(file, 'utf8').split('\n');
        lines[3] = lines[3]!.replace('"seq":3', '"seq":"3"');
        fs.writeFileSync(file, lines.join('\n'));
      },
      /corrupt at \/.+\/bad\.jsonl:4: task.started has seq "3", expected the whole number 3$/,
    ],
    [
      'its last line written twice',
      (file) => fs.appendFileSync(file, `${fs.readFileSync(file, 'utf8').trimEnd().split('\n').pop()!}\n`),
      /corrupt at \/.+\/bad\.jsonl:6: task.completed has seq 4, expected 5 \(seq 4 again: a line repeated or out of order\)$/,
    ],
    [
      'an event of another run',
      (file) => {
        const lines = fs.readFileSync(file, 'utf8').split('\n');
        lines[2] = lines[2]!.replace('"runId":"bad"', '"runId":"other"');
        fs.writeFileSync(file, lines.join('\n'));
      },
      /corrupt at \/.+\/bad\.jsonl:3: task.ready of run "other" in the journal of run "bad"/,
    ],
    [
      'the journal of another run under its name',
      (file) => {
        const lines = fs.readFileSync(file, 'utf8').split('\n');
        lines[0] = JSON.stringify(header('someone-else'));
        fs.writeFileSync(file, lines.join('\n'));
      },
      /corrupt at \/.+\/bad\.jsonl:1: the file holds the journal of run "someone-else"/,
    ],
    [
      'a header whose dagId was renamed',
      (file) => {
        const lines = fs.readFileSync(file, 'utf8').split('\n');
        lines[0] = lines[0]!.replace('"dagId"', '"dagid"');
        fs.writeFileSync(file, lines.join('\n'));
      },
      /journal of run "bad" is corrupt at \/.+\/bad\.jsonl:1: the header is not an rxdag run header: dagId is missing \(expected a string\)$/,
    ],
    [
      'a header whose DAG this version refuses (a task id with a lone surrogate, which earlier versions took)',
      (file) => {
        const lines = fs.readFileSync(file, 'utf8').split('\n');
        lines[0] = lines[0]!.replace('"tasks":[{"id":"', '"tasks":[{"id":"\\ud800');
        fs.writeFileSync(file, lines.join('\n'));
      },
      /journal of run "bad" is corrupt at \/.+\/bad\.jsonl:1 \(its header\): the DAG spec it holds is invalid \(if an earlier rxdag wrote it, that version reads it\): [\s\S]*a lone surrogate \(U\+D800\)/,
    ],
    [
      'an ended run',
      (file) =>
        fs.appendFileSync(
          file,
          `${JSON.stringify(events.dagCompleted({ runId: 'bad', seq: 5, at: 5, outcome: 'failed', counts: { total: 2, completed: 1, failed: 0, skipped: 0, cancelled: 1 }, durationMs: 4, failures: [] }))}\n`,
        ),
      RunNotResumableError,
    ],
    [
      'a run a live process owns',
      (file) => fs.writeFileSync(file.replace(/\.jsonl$/, '.lock'), JSON.stringify({ host: os.hostname(), pid: process.pid, since: 1 })),
      RunLockedError,
    ],
  ])('should refuse to resume %s with a clear error, running nothing and changing nothing', async (_, damage, expected) => {
    const dir = freshDir();
    const file = written(dir, 'bad');
    damage(file);
    const before = fs.readdirSync(dir).map((name) => [name, fs.readFileSync(path.join(dir, name), 'utf8')]);
    const { error, events: resumed } = await resumeOutcome(dir, 'bad');
    if (expected instanceof RegExp) {
      expect(error).toBeInstanceOf(JournalCorruptError);
      expect((error as Error).message).toMatch(expected);
    } else {
      expect(error).toBeInstanceOf(expected);
    }
    expect(resumed).toEqual([]);
    expect(fs.readdirSync(dir).map((name) => [name, fs.readFileSync(path.join(dir, name), 'utf8')])).toEqual(before);
  });

  it('should write the header and each event as the line JSON.stringify gives, in groups small and past the kept buffer', async () => {
    const dir = freshDir();
    const runId = 'lines "ü" ✓';
    const head = (seq: number) => ({ runId, seq, at: seq / 3 });
    const small = [
      events.dagCreated({ ...head(1), dagId: 'd', taskCount: 2 }),
      events.taskReady({ ...head(2), taskId: 'a\u0000\ud800😀', attempt: 1 }),
      events.taskStarted({ ...head(3), taskId: 'a\u0000\ud800😀', attempt: 1, agent: 'x\u2028"' }),
    ];
    // one group of 4 MB of UTF-8 (past what a writer keeps), then small ones again
    const big = events.taskCompleted({
      ...head(4),
      taskId: 'a\u0000\ud800😀',
      attempt: 1,
      durationMs: Number.NaN,
      output: 'é✓'.repeat(800_000),
    });
    const after = [
      events.taskReady({ ...head(5), taskId: 'b', attempt: 1 }),
      events.taskStarted({ ...head(6), taskId: 'b', attempt: 1, agent: 'x' }),
    ];
    const writer = fileJournal(dir, { sync: 'none' }).create({ ...header(runId), runId }) as JournalWriter;
    writer.append(small);
    writer.append([big]);
    writer.append(after);
    writer.close();
    const expected = [{ ...header(runId), runId }, ...small, big, ...after].map((value) => `${JSON.stringify(value)}\n`).join('');
    expect(fs.readFileSync(path.join(dir, `${encodeURIComponent(runId)}.jsonl`), 'utf8')).toBe(expected);
    expect(await fileJournal(dir).events(runId)).toEqual(
      JSON.parse(`[${[...small, big, ...after].map((e) => JSON.stringify(e)).join(',')}]`),
    );
  });

  it('should say which run is unknown, and where it looked', async () => {
    const dir = path.join(freshDir(), 'no-store-here');
    const { error } = await resumeOutcome(dir, 'ghost');
    expect(error).toBeInstanceOf(RunNotResumableError);
    expect((error as Error).message).toBe(`run "ghost" is not in the journal at ${dir}`);
    expect(fs.existsSync(dir)).toBe(false);
    await expect(fileJournal(dir).runs()).resolves.toEqual([]);
  });

  it('should refuse a run id that is not a string, naming what was given, and touch nothing', async () => {
    const dir = path.join(freshDir(), 'untouched');
    for (const [runId, given] of [
      [5, '5'],
      [null, 'null'],
      [undefined, 'nothing'],
    ] as const) {
      // resumeRun at the call; a scheduler's resume when subscribed, as its other refusals
      expect(() => resumeRun(fileJournal(dir), runId as unknown as string)).toThrow(
        new TypeError(`rxdag: resumeRun needs the id of a run, a non-empty string (got ${given})`),
      );
      const scheduler = createScheduler({ journal: fileJournal(dir), healthCheckIntervalMs: 0 });
      const error = await new Promise((resolve) => scheduler.resume(runId as unknown as string).subscribe({ error: resolve }));
      expect(error).toEqual(new TypeError(`rxdag: resume needs the id of a run, a string (got ${given})`));
      await scheduler.shutdown();
    }
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('should refuse options that give a resumed run another id, and touch nothing', async () => {
    const dir = freshDir();
    const file = written(dir, 'kept');
    const before = fs.readFileSync(file, 'utf8');
    const scheduler = createScheduler({ journal: fileJournal(dir), healthCheckIntervalMs: 0 });
    // the type refuses it too (JavaScript callers, options built at run time)
    const other = { runId: 'other' } as Parameters<typeof scheduler.resume>[1];
    const error = await new Promise((resolve) => scheduler.resume('kept', other).subscribe({ error: resolve }));
    // @ts-expect-error a resumed run keeps its id
    expect(() => scheduler.resume('kept', { runId: 'other' })).not.toThrow(); // cold: refused when subscribed
    expect(error).toEqual(new TypeError('rxdag: resume of run "kept": a resumed run keeps its id (got runId "other")'));
    await scheduler.shutdown();
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(fs.readdirSync(dir).filter((name) => name.endsWith('.lock'))).toEqual([]);
  });

  it('should name an ended run and how it ended', async () => {
    const dir = freshDir();
    const file = written(dir, 'ended');
    fs.appendFileSync(
      file,
      `${JSON.stringify(events.dagCompleted({ runId: 'ended', seq: 5, at: 5, outcome: 'cancelled', counts: { total: 2, completed: 1, failed: 0, skipped: 0, cancelled: 1 }, durationMs: 4, failures: [] }))}\n`,
    );
    const { error } = await resumeOutcome(dir, 'ended');
    expect((error as Error).message).toBe('run "ended" already ended (cancelled); there is nothing to resume');
  });

  it('should refuse a run id another live process is creating right now with RunExistsError, changing nothing', () => {
    const dir = freshDir();
    const owner = spawn('sleep', ['5']);
    try {
      const lock = path.join(dir, 'being-made.lock');
      const held = JSON.stringify({ host: os.hostname(), pid: owner.pid, since: 1 });
      fs.writeFileSync(lock, held);
      expect(() => fileJournal(dir).create(header('being-made'))).toThrow(RunExistsError);
      expect([fs.readdirSync(dir), fs.readFileSync(lock, 'utf8')]).toEqual([['being-made.lock'], held]);
    } finally {
      owner.kill('SIGKILL');
    }
  });

  it('should stop writing a run whose lock file was removed, or taken by another process after that, changing nothing more', async () => {
    const dir = freshDir();
    const lock = path.join(dir, 'held.lock');
    const writer = fileJournal(dir).create(header('held')) as JournalWriter;
    writer.append(legalStart('held').slice(0, 2));
    const before = fs.readFileSync(path.join(dir, 'held.jsonl'), 'utf8');
    fs.rmSync(lock); // by hand, or by a process that judged the run interrupted
    expect(() => writer.append(legalStart('held').slice(2))).toThrow(
      `the run no longer owns its record: its lock file ${lock} was removed while it ran; another process may take the run over, so nothing more is written`,
    );
    // another owner took it meanwhile: its lock is left as it is
    fs.writeFileSync(lock, JSON.stringify({ host: os.hostname(), pid: process.ppid, since: 2 }));
    expect(() => writer.append(legalStart('held').slice(2))).toThrow(
      `its lock file ${lock} was replaced while it ran (now held by ${os.hostname()}:${process.ppid})`,
    );
    expect(fs.readFileSync(path.join(dir, 'held.jsonl'), 'utf8')).toBe(before);
    writer.close();
    expect(fs.existsSync(lock)).toBe(true);
  });

  it('should stop writing a run whose lock file was replaced by a copy of itself, saying it is a copy', () => {
    const dir = freshDir();
    const lock = path.join(dir, 'copied.lock');
    const writer = fileJournal(dir).create(header('copied')) as JournalWriter;
    writer.append(legalStart('copied').slice(0, 2));
    const copy = `${lock}.copy`;
    fs.copyFileSync(lock, copy);
    fs.renameSync(copy, lock); // a restore, a sync tool: the same content, another file
    expect(() => writer.append(legalStart('copied').slice(2))).toThrow(
      `the run no longer owns its record: its lock file ${lock} was replaced while it ran (by a file naming this process: a copy); another process may take the run over, so nothing more is written`,
    );
    writer.close();
  });

  it('should say that a run whose record was removed while it ran (lock and journal, as prune does) cannot be resumed', () => {
    const dir = freshDir();
    const writer = fileJournal(dir).create(header('pruned')) as JournalWriter;
    writer.append(legalStart('pruned').slice(0, 2));
    fs.rmSync(path.join(dir, 'pruned.lock'));
    fs.rmSync(path.join(dir, 'pruned.jsonl'));
    let refused: unknown;
    try {
      writer.append(legalStart('pruned').slice(2));
    } catch (error) {
      refused = error;
    }
    expect(refused).toMatchObject({
      message: `the run no longer owns its record: its lock file ${path.join(dir, 'pruned.lock')} was removed while it ran, and its journal was removed; nothing more is written`,
      journalLost: 'removed',
    });
    writer.close();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('should stop a writer whose journal file was cut while it ran (truncated in place), writing nothing after the cut', () => {
    const dir = freshDir();
    const journal = path.join(dir, 'cut.jsonl');
    const writer = fileJournal(dir).create(header('cut')) as JournalWriter;
    writer.append(legalStart('cut').slice(0, 2));
    const written = fs.statSync(journal).size;
    fs.truncateSync(journal, written - 10); // as logrotate's copytruncate does, to 0, or half a line
    expect(() => writer.append(legalStart('cut').slice(2))).toThrow(
      expect.objectContaining({
        message: `its journal file was cut while it ran, to ${written - 10} of the ${written} bytes written (another program truncated it, as logrotate's copytruncate does); nothing more is written`,
        journalLost: 'cut',
      }),
    );
    expect(fs.statSync(journal).size).toBe(written - 10);
    writer.close();
  });

  it('should stop a writer whose journal file alone was removed while it ran, its lock left to its close', () => {
    const dir = freshDir();
    const writer = fileJournal(dir).create(header('unlinked')) as JournalWriter;
    writer.append(legalStart('unlinked').slice(0, 2));
    fs.rmSync(path.join(dir, 'unlinked.jsonl'));
    expect(() => writer.append(legalStart('unlinked').slice(2))).toThrow(
      expect.objectContaining({ message: 'its journal file was removed while it ran; nothing more is written', journalLost: 'removed' }),
    );
    writer.close();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('should stop a writer whose journal was removed though another link to it is kept (a backup), or replaced', () => {
    const dir = freshDir();
    const backups = freshDir();
    for (const [runId, change, what] of [
      ['linked', (file: string) => (fs.linkSync(file, path.join(backups, 'linked.jsonl')), fs.rmSync(file)), 'removed'],
      ['replaced', (file: string) => (fs.rmSync(file), fs.writeFileSync(file, '')), 'replaced by another file'],
      // a copy put in its place, as an editor's save or `sed -i` does
      ['copied', (file: string) => (fs.copyFileSync(file, `${file}.tmp`), fs.renameSync(`${file}.tmp`, file)), 'replaced by another file'],
    ] as const) {
      const writer = fileJournal(dir).create(header(runId)) as JournalWriter;
      writer.append(legalStart(runId).slice(0, 2));
      change(path.join(dir, `${runId}.jsonl`));
      expect(() => writer.append(legalStart(runId).slice(2))).toThrow(
        expect.objectContaining({
          message: `its journal file was ${what} while it ran; nothing more is written`,
          journalLost: what === 'removed' ? 'removed' : 'replaced',
        }),
      );
      writer.close();
    }
  });

  it('should take over the lock of a process that is gone', async () => {
    const dir = freshDir();
    const file = written(dir, 'stale');
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.on('exit', resolve));
    fs.writeFileSync(file.replace(/\.jsonl$/, '.lock'), JSON.stringify({ host: os.hostname(), pid: dead.pid, since: 1 }));
    const { error, events: resumed } = await resumeOutcome(dir, 'stale');
    expect(error).toBeUndefined();
    expect(resumed[resumed.length - 1]).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    expect(fs.existsSync(file.replace(/\.jsonl$/, '.lock'))).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['zeros only', '\0'.repeat(120)],
  ])(
    'should list a run whose lock file is %s (its machine crashed before writing the lock out) as interrupted, and take it over',
    async (_, text) => {
      const dir = freshDir();
      const file = written(dir, 'crashed');
      const lock = file.replace(/\.jsonl$/, '.lock');
      fs.writeFileSync(lock, text);
      expect((await fileJournal(dir).runs()).map(({ runId, status }) => [runId, status])).toEqual([['crashed', 'interrupted']]);
      const { error, events: resumed } = await resumeOutcome(dir, 'crashed');
      expect(error).toBeUndefined();
      expect(resumed[resumed.length - 1]).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
      expect(fs.existsSync(lock)).toBe(false);
    },
  );

  it('should clear, when listing, the lock a dead process left on a run that had ended, and keep every other lock', async () => {
    const dir = freshDir();
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.on('exit', resolve));
    const lockOf = (file: string) => file.replace(/\.jsonl$/, '.lock');
    const end = (file: string, runId: string) =>
      fs.appendFileSync(
        file,
        `${JSON.stringify(events.dagCompleted({ runId, seq: 5, at: 5, outcome: 'succeeded', counts: { total: 2, completed: 2, failed: 0, skipped: 0, cancelled: 0 }, durationMs: 4, failures: [] }))}\n`,
      );
    // ended, its owner killed before it let go: the lock is litter
    const endedDead = written(dir, 'ended-dead');
    end(endedDead, 'ended-dead');
    fs.writeFileSync(lockOf(endedDead), JSON.stringify({ host: os.hostname(), pid: dead.pid, since: 1 }));
    // not ended, its owner dead: the lock is left for `resume` to take over
    const interrupted = written(dir, 'interrupted');
    fs.writeFileSync(lockOf(interrupted), JSON.stringify({ host: os.hostname(), pid: dead.pid, since: 1 }));
    // ended, but the lock is this live process's, or another host's: not this listing's to judge
    const endedLive = written(dir, 'ended-live');
    end(endedLive, 'ended-live');
    fs.writeFileSync(lockOf(endedLive), JSON.stringify({ host: os.hostname(), pid: process.pid, since: 1 }));
    const endedElsewhere = written(dir, 'ended-elsewhere');
    end(endedElsewhere, 'ended-elsewhere');
    fs.writeFileSync(lockOf(endedElsewhere), JSON.stringify({ host: `not-${os.hostname()}`, pid: dead.pid, since: 1 }));

    const runs = await fileJournal(dir).runs();

    expect(Object.fromEntries(runs.map((r) => [r.runId, r.status]))).toEqual({
      'ended-dead': 'succeeded',
      interrupted: 'interrupted',
      'ended-live': 'succeeded',
      'ended-elsewhere': 'succeeded',
    });
    expect(fs.existsSync(lockOf(endedDead))).toBe(false);
    expect(fs.existsSync(lockOf(interrupted))).toBe(true);
    expect(fs.existsSync(lockOf(endedLive))).toBe(true);
    expect(fs.existsSync(lockOf(endedElsewhere))).toBe(true);
    expect(fs.readdirSync(dir).sort()).toEqual([
      'ended-dead.jsonl',
      'ended-elsewhere.jsonl',
      'ended-elsewhere.lock',
      'ended-live.jsonl',
      'ended-live.lock',
      'interrupted.jsonl',
      'interrupted.lock',
    ]);
  });

  it('should refuse a lock of another host, naming the file to remove once its owner is known to be gone', async () => {
    const dir = freshDir();
    const file = written(dir, 'elsewhere');
    const lock = file.replace(/\.jsonl$/, '.lock');
    fs.writeFileSync(lock, JSON.stringify({ host: 'build-7', pid: 1, since: 1 }));
    const before = fs.readFileSync(file, 'utf8');

    const { error } = await resumeOutcome(dir, 'elsewhere');

    expect(error).toBeInstanceOf(RunLockedError);
    expect((error as RunLockedError).lockFile).toBe(lock);
    expect((error as Error).message).toBe(
      `run "elsewhere" is locked by process 1 of host build-7, which this host cannot check; ` +
        `if that process is gone (its machine or container no longer runs), remove ${lock} and resume again`,
    );
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    // listed as running, its owner named with the file to remove
    expect((await fileJournal(dir).runs()).find((run) => run.runId === 'elsewhere')).toMatchObject({
      status: 'running',
      owner: `process 1 of host build-7, whose lock file is ${lock}`,
    });
    fs.rmSync(lock);
    const after = await resumeOutcome(dir, 'elsewhere');
    expect(after.error).toBeUndefined();
    expect(after.events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
  });

  // where /proc tells (Linux), a lock's pid must still be its owner's; elsewhere the signal decides
  const procTells = fs.existsSync('/proc/self/stat');

  it('should take over a lock whose pid now belongs to a process that started later (a pid given again)', async () => {
    const dir = freshDir();
    const writer = fileJournal(dir).create(header('reused')) as JournalWriter;
    writer.append(legalStart('reused'));
    const lock = path.join(dir, 'reused.lock');
    const owner = JSON.parse(fs.readFileSync(lock, 'utf8')) as { start?: number };
    expect(owner.start === undefined).toBe(!procTells);
    await expect(fileJournal(dir).runs()).resolves.toMatchObject([{ runId: 'reused', status: 'running' }]);

    // the same pid, but not the process that took the lock: as after a container restarted
    fs.writeFileSync(lock, JSON.stringify({ ...owner, start: (owner.start ?? 0) + 1 }));

    await expect(fileJournal(dir).runs()).resolves.toMatchObject([{ runId: 'reused', status: procTells ? 'interrupted' : 'running' }]);
    const { error } = await resumeOutcome(dir, 'reused');
    if (procTells) expect(error).toBeUndefined();
    else expect(error).toBeInstanceOf(RunLockedError);
    writer.close();
  });

  it('should take over the lock of a process that exited and was not reaped yet (a zombie)', async () => {
    const dir = freshDir();
    written(dir, 'zombie');
    // the short sleep ends after its parent shell has become `sleep 30`, which never reaps it
    const parent = spawn('sh', ['-c', 'sleep 0.5 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString()))));
      const stat = () => (procTells ? fs.readFileSync(`/proc/${pid}/stat`, 'utf8') : '');
      const isZombie = () => / Z /.test(stat());
      // up to 5 s on a busy machine
      for (let tries = 0; tries < 500 && procTells && !isZombie(); tries++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect([pid, isZombie()]).toEqual([pid, procTells]);
      fs.writeFileSync(path.join(dir, 'zombie.lock'), JSON.stringify({ host: os.hostname(), pid, since: Date.now() }));

      await expect(fileJournal(dir).runs()).resolves.toMatchObject([{ runId: 'zombie', status: procTells ? 'interrupted' : 'running' }]);
      if (procTells) {
        const { error, events: resumed } = await resumeOutcome(dir, 'zombie');
        expect(error).toBeUndefined();
        expect(resumed[resumed.length - 1]).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
      }
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it("should fail a listing on a file whose header is not a run's, unless told what to do with it: then list the others", async () => {
    const dir = freshDir();
    written(dir, 'fine');
    const stray = path.join(dir, 'a%20stray.jsonl');
    fs.writeFileSync(stray, '{"runId":"a stray"}\n');
    const expected =
      `journal of run "a stray" is corrupt at ${stray}:1: the header is not an rxdag run header: dagId is missing (expected a string); ` +
      'spec is missing (expected a DAG spec: an object with id and tasks); options is missing (expected an object of run options); ' +
      'createdAt is missing (expected a number of milliseconds)';

    await expect(fileJournal(dir).runs()).rejects.toBeInstanceOf(JournalCorruptError);
    await expect(fileJournal(dir).runs()).rejects.toThrow(expected);
    const unreadable: JournalCorruptError[] = [];
    const runs = await fileJournal(dir).runs({ onUnreadable: (error) => unreadable.push(error) });

    expect(runs.map((run) => [run.runId, run.status])).toEqual([['fine', 'interrupted']]);
    expect(unreadable.map((error) => [error.runId, error.message])).toEqual([['a stray', expected]]);
    expect(fs.readFileSync(stray, 'utf8')).toBe('{"runId":"a stray"}\n');
  });

  it('should name a FIFO where a journal or a lock file should be, at once, rather than wait on it for ever', async () => {
    const dir = freshDir();
    written(dir, 'fine');
    const pipe = path.join(dir, 'piped.jsonl');
    const lock = path.join(dir, 'fine.lock');
    for (const fifo of [pipe, lock]) expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const unreadable: JournalCorruptError[] = [];

    const runs = await fileJournal(dir).runs({ onUnreadable: (error) => unreadable.push(error) });

    expect(runs).toEqual([]);
    expect(unreadable.map((error) => error.message)).toEqual([
      `journal of run "fine" cannot be read at ${lock}: EFTYPE (a FIFO where a lock file was expected)`,
      `journal of run "piped" cannot be read at ${pipe}: EFTYPE (a FIFO where a journal file was expected)`,
    ]);
    await expect(fileJournal(dir).header('piped')).rejects.toThrow(`${pipe}: EFTYPE (a FIFO where a journal file was expected)`);
  });

  it("should not list a copy of a run's file under another name as a run, but as a file that holds another run's journal", async () => {
    const dir = freshDir();
    const file = written(dir, 'fine');
    const copy = path.join(dir, 'j-copy.jsonl');
    fs.copyFileSync(file, copy);
    const expected = `journal of run "j-copy" is corrupt at ${copy}:1: the file holds the journal of run "fine"`;
    const unreadable: JournalCorruptError[] = [];

    const runs = await fileJournal(dir).runs({ onUnreadable: (error) => unreadable.push(error) });

    expect(runs.map((run) => run.runId)).toEqual(['fine']);
    expect(unreadable.map((error) => [error.runId, error.where, error.message])).toEqual([['j-copy', `${copy}:1`, expected]]);
    await expect(fileJournal(dir).runs()).rejects.toThrow(expected);
    expect(fs.readFileSync(copy, 'utf8')).toBe(fs.readFileSync(file, 'utf8'));
  });

  it.each([
    ['interrupted', (file: string) => file],
    [
      'ended',
      (file: string) => {
        const counts = { total: 2, completed: 1, failed: 0, skipped: 0, cancelled: 1 };
        const end = events.dagCompleted({ runId: 'renamed', seq: 5, at: 5, outcome: 'cancelled', counts, durationMs: 4, failures: [] });
        fs.appendFileSync(file, `${JSON.stringify(end)}\n`);
        return file;
      },
    ],
  ])(
    "should refuse to read or list an %s run whose header lacks a field, naming the file's line 1, the field and what was expected",
    async (_, end) => {
      const dir = freshDir();
      const file = end(written(dir, 'renamed'));
      written(dir, 'fine');
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      lines[0] = lines[0]!.replace('"dagId"', '"dagid"');
      fs.writeFileSync(file, lines.join('\n'));
      const journal = fileJournal(dir);
      const expected = `journal of run "renamed" is corrupt at ${file}:1: the header is not an rxdag run header: dagId is missing (expected a string)`;

      await expect(journal.header('renamed')).rejects.toThrow(expected);
      await expect(journal.events('renamed')).rejects.toThrow(expected);
      await expect(journal.runs()).rejects.toThrow(expected);
      const unreadable: JournalCorruptError[] = [];
      const runs = await journal.runs({ onUnreadable: (error) => unreadable.push(error) });

      expect(runs.map((run) => [run.runId, run.dagId])).toEqual([['fine', 'd']]);
      expect(unreadable.map((error) => [error.constructor, error.runId, error.where, error.message])).toEqual([
        [JournalCorruptError, 'renamed', `${file}:1`, expected],
      ]);
      expect(fs.readFileSync(file, 'utf8')).toBe(lines.join('\n'));
    },
  );

  it('should let the event loop turn while it lists a store of thousands of runs', async () => {
    const dir = freshDir();
    const journal = fileJournal(dir);
    await lastValueFrom(
      runDag(defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'x' }] }), { agents: { x: () => 'ok' }, journal, runId: 'copy-0' }),
    );
    const text = fs.readFileSync(path.join(dir, 'copy-0.jsonl'), 'utf8');
    const copies = 3000;
    for (let i = 1; i < copies; i++) fs.writeFileSync(path.join(dir, `copy-${i}.jsonl`), text.split('"copy-0"').join(`"copy-${i}"`));
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const startedAt = Date.now();
    const runs = await journal.runs();
    const tookMs = Date.now() - startedAt;
    ticking = false;
    expect(runs).toHaveLength(copies);
    expect(tookMs).toBeGreaterThan(20); // long enough to be sliced
    expect(turns).toBeGreaterThan(1);
  });

  it('should list an ended run from its first and last lines exactly as from all of them', async () => {
    const dir = freshDir();
    const journal = fileJournal(dir);
    const run = (dag: Parameters<typeof defineDag>[0], agents: Record<string, Agent>, runId: string) =>
      lastValueFrom(runDag(defineDag(dag), { agents, journal, runId, healthCheckIntervalMs: 0 }));
    // succeeded, with a retry and tasks spawned on the way
    let tries = 0;
    await run(
      {
        id: 'grow',
        tasks: [
          { id: 'seed', agent: 'x' },
          { id: 'flaky', agent: 'flaky', deps: ['seed'], retry: { attempts: 2, backoffMs: 0 } },
        ],
      },
      {
        x: (ctx) =>
          ctx.id === 'seed'
            ? ctx.spawn([
                { id: 'child-1', agent: 'x' },
                { id: 'child-2', agent: 'x', deps: ['child-1'] },
              ])
            : 'ok',
        flaky: () => (++tries === 1 ? Promise.reject(new Error('once')) : 'ok'),
      },
      'grown',
    );
    // failed: a task failed for good, its dependent skipped
    await run(
      {
        id: 'break',
        tasks: [
          { id: 'a', agent: 'x' },
          { id: 'b', agent: 'bad', deps: ['a'] },
          { id: 'c', agent: 'x', deps: ['b'] },
        ],
      },
      { x: () => 'ok', bad: () => Promise.reject(new Error('no')) },
      'broken',
    );
    // and one that did not end: read whole
    written(dir, 'cut');

    const listed = await journal.runs();

    const whole = await Promise.all(
      listed.map(async (summary) => summarize(await journal.header(summary.runId), await journal.events(summary.runId), false)),
    );
    expect(listed).toEqual(whole);
    expect(Object.fromEntries(listed.map((summary) => [summary.runId, [summary.status, summary.counts]]))).toEqual({
      grown: ['succeeded', { total: 4, completed: 4, failed: 0, skipped: 0, cancelled: 0 }],
      broken: ['failed', { total: 3, completed: 1, failed: 1, skipped: 1, cancelled: 0 }],
      cut: ['interrupted', { total: 2, completed: 1, failed: 0, skipped: 0, cancelled: 0 }],
    });
    for (const runId of ['grown', 'broken']) {
      const ends = readEndedRun(path.join(dir, `${runId}.jsonl`))!;
      expect(ends.events.map((event) => event.type)).toEqual(['dag.created', 'dag.completed']);
      const { runId: id, dagId, createdAt } = await journal.header(runId);
      expect(ends.header).toEqual({ runId: id, dagId, createdAt }); // what a listing needs: the spec is not parsed
    }
  });

  it('should read a file whole for a listing unless it ends with a whole dag.completed of its run after a dag.created', () => {
    const dir = freshDir();
    const ended = written(dir, 'ended', [
      ...legalStart('ended'),
      events.dagCompleted({
        runId: 'ended',
        seq: 5,
        at: 5,
        outcome: 'succeeded',
        counts: { total: 2, completed: 2, failed: 0, skipped: 0, cancelled: 0 },
        durationMs: 4,
        failures: [],
      }),
    ]);
    expect(readEndedRun(ended)?.events.map((event) => event.seq)).toEqual([1, 5]);
    const text = fs.readFileSync(ended, 'utf8');
    const lines = text.split('\n');
    const variant = (name: string, content: string) => {
      const file = path.join(dir, `${name}.jsonl`);
      fs.writeFileSync(file, content);
      return readEndedRun(file);
    };
    expect(variant('torn', `${text}{"type":"task.re`)).toBeUndefined();
    expect(variant('no-newline', text.slice(0, -1))).toBeUndefined();
    expect(variant('not-ended', `${lines.slice(0, 5).join('\n')}\n`)).toBeUndefined();
    expect(variant('other-run', text.replace(/"runId":"ended","seq":5/, '"runId":"x","seq":5'))).toBeUndefined();
    expect(variant('no-created', [lines[0], ...lines.slice(2)].join('\n'))).toBeUndefined();
    expect(variant('header-only', `${lines[0]}\n`)).toBeUndefined();
    expect(variant('empty', '')).toBeUndefined();
  });

  it('should list a run whose owner died as interrupted, and one owned now as running', async () => {
    const dir = freshDir();
    written(dir, 'died');
    const writer = fileJournal(dir).create(header('live')) as JournalWriter;
    writer.append(legalStart('live'));
    const runs = await fileJournal(dir).runs();
    expect(Object.fromEntries(runs.map((r) => [r.runId, [r.status, r.lastSeq, r.counts.completed, r.counts.total]]))).toEqual({
      died: ['interrupted', 4, 1, 2],
      live: ['running', 4, 1, 2],
    });
    writer.close();
  });

  it('should make the folders of its path that are missing', () => {
    const dir = path.join(freshDir(), 'a', 'b', 'c');
    written(dir, 'nested');
    expect(fs.readdirSync(dir).sort()).toEqual(['.gitignore', 'nested.jsonl']);
  });

  it('should fail with the error of a folder that cannot be made (under /proc), not hang', () => {
    expect(() => fileJournal('/proc/rxdag-no-such/journal').create(header('r'))).toThrow(
      /ENOENT: no such file or directory, mkdir '\/proc\/rxdag-no-such'/,
    );
  });

  it('should refuse a new run where a file stands in for the folder with a JournalWriteError that says nothing ran', () => {
    const file = path.join(freshDir(), 'not-a-folder');
    fs.writeFileSync(file, '');
    let error: unknown;
    try {
      fileJournal(file).create(header('r'));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(JournalWriteError);
    expect(error).toMatchObject({ runId: 'r', location: file, beforeStart: true });
    expect((error as Error).message).toMatch(new RegExp(`^cannot write the journal of run "r" at ${file}: ENOTDIR: .*; nothing ran$`));
  });

  it("should say nothing ran when a run's first events cannot be written, and that the run stopped once a task had started", async () => {
    /** The run of a chain a → b whose journal fails from its `failAt`-th append on; its error and the agents called. */
    const failingFrom = async (failAt: number) => {
      let appends = 0;
      const journal = withWrappedWriters(fileJournal(freshDir()), (writer) => ({
        ...writer,
        append: (group, durable) => {
          if (++appends >= failAt) throw new Error('EIO: i/o error');
          return writer.append(group, durable);
        },
      }));
      const called: string[] = [];
      const dag = defineDag({
        id: 'chain',
        tasks: [
          { id: 'a', agent: 'work' },
          { id: 'b', agent: 'work', deps: ['a'] },
        ],
      });
      const work: Agent = ({ id }) => (called.push(id), Promise.resolve(id));
      const error = await lastValueFrom(runDag(dag, { agents: { work }, journal })).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      return { error, called };
    };
    const first = await failingFrom(1);
    expect(first.called).toEqual([]);
    expect(first.error).toMatchObject({ name: 'JournalWriteError', beforeStart: true, message: expect.stringMatching(/; nothing ran$/) });
    const later = await failingFrom(2);
    expect(later.called).toEqual(['a']);
    expect(later.error).toMatchObject({ name: 'JournalWriteError', beforeStart: false, message: expect.stringMatching(/; run stopped$/) });
  });

  it('should journal, list and resume runs whose escaped ids are longer than a file name may be, each in a file of its own', async () => {
    const dir = freshDir();
    const wide = '日本語のパイプライン'.repeat(25); // 250 characters, ~2,250 bytes escaped
    const runIds = [`${wide}-a`, `${wide}-b`, '/'.repeat(256)];
    for (const runId of runIds) written(dir, runId);
    const names = fs.readdirSync(dir);
    expect(names).toHaveLength(3);
    for (const name of names) expect(Buffer.byteLength(name.replace(/\.jsonl$/, ''))).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect((await fileJournal(dir).runs()).map((run) => run.runId).sort()).toEqual([...runIds].sort());
    const { error, events: resumed } = await resumeOutcome(dir, runIds[1]!);
    expect(error).toBeUndefined();
    expect(resumed[resumed.length - 1]).toMatchObject({ type: 'dag.completed', runId: runIds[1], outcome: 'succeeded' });
    expect(await fileJournal(dir).events(runIds[0]!)).toHaveLength(legalStart(runIds[0]!).length);
  });

  it('should refuse a sync setting it does not know', () => {
    expect(() => fileJournal(freshDir(), { sync: 'sometimes' as 'none' })).toThrow(
      "fileJournal `sync` must be 'fsync' or 'none' (got sometimes)",
    );
  });
});
