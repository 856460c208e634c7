import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir, writeText } from './support/files';
import { rxdagInProcess as rxdag } from './support/inProcessCli';

/**
 * What the commands say of a journal that is not what a run left: a copy of a run's file under
 * another name (not a run), events `rxdag resume` refuses (`rxdag show` refuses them alike, with
 * the same line and exit code), and a torn last line (`rxdag resume` says what it set aside;
 * `show` and `runs` tell of it and change nothing).
 */
describe('rxdag show, runs, prune and resume of a journal that cannot be trusted', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());
  const dag = writeText(tmp.file('chain.yaml'), 'id: chain\ntasks:\n  - { id: a, sleep: 0 }\n  - { id: b, deps: [a], sleep: 0 }\n');

  let stores = 0;
  /** A store of its own with one ended run of `chain`; its folder and the run's id and file. */
  async function storeWithRun(name: string): Promise<{ store: string; runId: string; file: string }> {
    const store = tmp.file(`${name}-${++stores}`);
    const run = await rxdag('run', dag, '--store', store);
    expect(run).toMatchObject({ code: 0 });
    const runId = /^rxdag: run (\S+) /m.exec(run.stderr)![1]!;
    return { store, runId, file: path.join(store, `${runId}.jsonl`) };
  }

  /** The files of a folder and what they hold. */
  const contents = (dir: string) => readdirSync(dir).map((name) => [name, readFileSync(path.join(dir, name), 'utf8')]);

  it("should report a copy of a run's file as a file that holds another run's journal: not listed, not pruned, not resumed", async () => {
    const { store, runId, file } = await storeWithRun('copied');
    const copy = path.join(store, 'j-copy.jsonl');
    copyFileSync(file, copy);
    const line = `rxdag: journal of run "j-copy" is corrupt at ${copy}:1: the file holds the journal of run "${runId}"`;

    const listed = await rxdag('runs', '--store', store, '--json');
    expect(listed.code).toBe(2);
    expect(
      listed.stdout
        .trim()
        .split('\n')
        .map((text) => (JSON.parse(text) as { runId: string }).runId),
    ).toEqual([runId]);
    // moved aside, under a name a listing does not take, it holds up no command
    const aside = `; to go on without it, set it aside: mv ${copy} ${copy}.bad`;
    expect(listed.stderr).toBe(`${line} (left out of the list${aside})\n`);

    const pruned = await rxdag('prune', '--store', store, '--keep', '0');
    expect(pruned.code).toBe(2);
    expect(pruned.stdout).toMatch(new RegExp(`^removed ${runId} .*\\nremoved 1 run; 0 kept\\n$`));
    expect(pruned.stderr).toBe(`${line} (not removed${aside})\n`);

    const after = await rxdag('runs', '--store', store);
    expect(after).toMatchObject({ code: 2, stdout: '', stderr: `${line} (left out of the list${aside})\n` });
    const resumed = await rxdag('resume', '--store', store);
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toBe(
      `${line}; which interrupted run is the newest cannot be told: name the run (rxdag resume RUN_ID)${aside}\n`,
    );
    expect(existsSync(copy)).toBe(true);
    renameSync(copy, `${copy}.bad`);
    expect(await rxdag('runs', '--store', store)).toMatchObject({ code: 0, stderr: '' });
  });

  it('should name the lock file that is a folder when resume cannot read it', async () => {
    const { store, runId, file } = await storeWithRun('lock-folder');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/[^\n]*\n$/, '')); // its dag.completed cut: interrupted
    const lock = path.join(store, `${runId}.lock`);
    mkdirSync(lock);
    const resumed = await rxdag('resume', runId, '--store', store);
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toBe(`rxdag: cannot use the store ${store}/ (at ${lock}): EISDIR (illegal operation on a directory)\n`);
  });

  /** The journal of an ended run cut after `task.completed a` (seq 4, line 5), that line changed by `edit`. */
  const interruptedWith = (text: string, edit: (line: string) => string) => {
    const lines = text.split('\n').slice(0, 5);
    lines[4] = edit(lines[4]!);
    return `${lines.join('\n')}\n`;
  };

  it.each<[string, (line: string) => string, string]>([
    [
      'an event type rxdag does not write',
      (line) => line.replace('task.completed', 'task.exploded'),
      '"task.exploded" is not an event type (written by a later rxdag?)',
    ],
    ['an unknown task', (line) => line.replace('"taskId":"a"', '"taskId":"zzz"'), 'task.completed for unknown task "zzz"'],
    ['an event without its task', (line) => line.replace('"taskId":"a",', ''), 'task.completed without a taskId'],
    [
      'a task completed that was pending',
      (line) => line.replace('"taskId":"a"', '"taskId":"b"'),
      'task.completed for task "b" in status pending (expected running)',
    ],
  ])(
    'should refuse to show a journal with %s as resume refuses it: the same line, exit 2, the journal unchanged',
    async (_, edit, problem) => {
      const { store, runId, file } = await storeWithRun('corrupt');
      writeFileSync(file, interruptedWith(readFileSync(file, 'utf8'), edit));
      const before = contents(store);
      const line = `rxdag: journal of run "${runId}" is corrupt at ${file}:5: ${problem}\n`;

      for (const flags of [[], ['--json'], ['--report', tmp.file('corrupt.html')]]) {
        expect(await rxdag('show', runId, '--store', store, ...flags)).toEqual({ code: 2, stdout: '', stderr: line });
      }
      expect(existsSync(tmp.file('corrupt.html'))).toBe(false);
      expect(await rxdag('resume', runId, '--store', store)).toMatchObject({ code: 2, stderr: line });
      expect(contents(store)).toEqual(before);
    },
  );

  it.each([
    ['its final newline removed', (text: string) => text.slice(0, -1)],
    ['a line without a newline appended', (text: string) => `${text}hello garbage`],
  ])(
    'should tell of a torn last line (%s) on show and runs, changing nothing, and say once on resume what it set aside',
    async (_, tear) => {
      const { store, runId, file } = await storeWithRun('torn');
      const whole = interruptedWith(readFileSync(file, 'utf8'), (line) => line);
      const torn = tear(whole);
      writeFileSync(file, torn);
      const at = Buffer.byteLength(torn.slice(0, torn.lastIndexOf('\n') + 1));
      const bytes = Buffer.byteLength(torn) - at;
      const tail = `${bytes} bytes at byte ${at} of ${file} (a last line without its newline: a write cut short by a crash or a full disk, never acknowledged)`;
      const note = `rxdag: the journal of run ${runId} ends with a torn line: ${tail}; resuming the run moves it to ${file}.torn\n`;

      const shown = await rxdag('show', runId, '--store', store);
      expect(shown).toMatchObject({ code: 0, stderr: note });
      expect(shown.stdout).toMatch(/DAG chain, interrupted\n/);
      expect(await rxdag('runs', '--store', store)).toMatchObject({ code: 0, stderr: note });
      expect(readFileSync(file, 'utf8')).toBe(torn);

      const resumed = await rxdag('resume', runId, '--store', store);
      expect(resumed.code).toBe(0);
      const said = `rxdag: setting aside the torn last line of run ${runId}'s journal: ${tail}, kept in ${file}.torn\n`;
      expect(resumed.stderr.split(said)).toHaveLength(2);
      expect(readFileSync(`${file}.torn`, 'utf8')).toContain(torn.slice(at));
    },
  );

  /** A store with one ended run of `chain`, its journal rewritten by `edit` (its header, its events). */
  async function storeWithEdited(name: string, edit: (header: Record<string, any>, events: Array<Record<string, any>>) => void) {
    const made = await storeWithRun(name);
    const [head, ...rest] = readFileSync(made.file, 'utf8').trimEnd().split('\n');
    const header = JSON.parse(head!) as Record<string, any>;
    const events = rest.map((line) => JSON.parse(line) as Record<string, any>);
    edit(header, events);
    writeFileSync(made.file, `${[header, ...events].map((line) => JSON.stringify(line)).join('\n')}\n`);
    return made;
  }

  it('should refuse a header whose named limit is no limit, in one line for show and resume, before anything reads it', async () => {
    const { store, runId, file } = await storeWithEdited('null-limit', (header) => {
      header.options.limits = { api: null };
    });
    const before = readFileSync(file, 'utf8');
    const line =
      `rxdag: journal of run "${runId}" is corrupt at ${file}:1: the header is not an rxdag run header: ` +
      'options.limits["api"] is null (expected a limit { concurrency?, rate?: { limit, intervalMs } })\n';
    for (const command of ['show', 'resume']) {
      expect(await rxdag(command, runId, '--store', store)).toMatchObject({ code: 2, stdout: '', stderr: line });
    }
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it("should escape the control characters of a header's words in rxdag show, as rxdag runs does", async () => {
    const { store, runId } = await storeWithEdited('controls', (header) => {
      header.dagId = 'chain\u001b]0;title\u0007';
      header.options.limits = { 'api\u001b[31m': { concurrency: 2 } };
    });
    const shown = await rxdag('show', runId, '--store', store);
    expect(shown.code).toBe(0);
    expect(shown.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    const listed = await rxdag('runs', '--store', store);
    const escapedDagId = /^\S+\s+(\S+)/m.exec(listed.stdout.split('\n')[1]!)![1]!;
    expect(shown.stdout).toContain(`DAG ${escapedDagId},`);
  });

  it('should show no negative time for a run resumed on a machine whose clock is behind', async () => {
    const { store, runId } = await storeWithEdited('clock-behind', (_header, events) => {
      // b started, and the run ended, a minute before the run began by the clock of a resuming machine
      const from = events.findIndex((event) => event.type === 'task.started' && event.taskId === 'b');
      for (const event of events.slice(from)) event.at -= 60_000;
    });
    const shown = await rxdag('show', runId, '--store', store);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/took 0 ms/);
    expect(shown.stdout).not.toMatch(/\+-|-\d+ ms/);
    const listed = await rxdag('runs', '--store', store);
    expect(listed.stdout).not.toMatch(/-\d+ ms/);
  });

  it("should show a task's time as no less than its completing attempt took, when the clock went back before its end", async () => {
    const { store, runId } = await storeWithEdited('clock-behind-task', (_header, events) => {
      // b's end recorded by a clock a minute behind the one that recorded its start
      const from = events.findIndex((event) => event.type === 'task.completed' && event.taskId === 'b');
      for (const event of events.slice(from)) event.at -= 60_000;
      events[from]!.durationMs = 1234;
    });
    const shown = await rxdag('show', runId, '--store', store, '--json');
    expect(shown.code).toBe(0);
    const task = (JSON.parse(shown.stdout) as { tasks: Array<{ id: string; durationMs?: number }> }).tasks.find(({ id }) => id === 'b');
    expect(task?.durationMs).toBe(1234);
  });

  it('should leave a torn last line where it is when it refuses the journal for an event it cannot replay', async () => {
    const { store, runId, file } = await storeWithRun('torn-and-corrupt');
    const torn = `${interruptedWith(readFileSync(file, 'utf8'), (line) => line.replace('"taskId":"a"', '"taskId":"zzz"'))}hello`;
    writeFileSync(file, torn);
    const resumed = await rxdag('resume', runId, '--store', store);
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toBe(`rxdag: journal of run "${runId}" is corrupt at ${file}:5: task.completed for unknown task "zzz"\n`);
    expect(readFileSync(file, 'utf8')).toBe(torn);
    expect(existsSync(`${file}.torn`)).toBe(false);
  });
});
