import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { type Agent, AgentError, defineDag, fileJournal, runDag } from '../../src';
import { readRecord } from '../../src/journal/fileRecord';
import { tallyOfFile } from '../../src/journal/fileTally';
import { summarize, summaryOfTally } from '../../src/journal/summary';

/**
 * The listing's quick tally of a journal file gives the summary the whole read gives, for a run
 * cut after any of its lines: retries, failures for good, skips, spawned tasks, a warning, the
 * run's end, a torn last line. A line it cannot read so is left to the whole read.
 */
describe('tallyOfFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-tally-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A run with every kind of line the tally counts, journaled into `dir`; its file. */
  async function journaledRun(runId: string): Promise<string> {
    const tries = new Map<string, number>();
    const agents: Record<string, Agent> = {
      work: ({ id, spawn }) => {
        const attempt = (tries.get(id) ?? 0) + 1;
        tries.set(id, attempt);
        if (id === 'flaky' && attempt === 1) throw new Error('once');
        if (id === 'broken') throw new Error('always');
        if (id === 'warned') throw new AgentError('stale', { severity: 'warning', output: 1 });
        if (id === 'plan') spawn([{ id: 'child-1' }, { id: 'child-2', deps: ['child-1'] }]);
        return id;
      },
    };
    const dag = defineDag({
      id: 'tallied',
      defaults: { agent: 'work', retry: { attempts: 2, backoffMs: 1 } },
      tasks: [
        { id: 'plan' },
        { id: 'flaky' },
        { id: 'broken' },
        { id: 'after-broken', deps: ['broken'] },
        { id: 'warned' },
        { id: 'alert', deps: ['flaky'], when: 'any-failed' },
      ],
    });
    await lastValueFrom(runDag(dag, { agents, journal: fileJournal(dir), runId, healthCheckIntervalMs: 0 }).pipe(toArray()));
    return path.join(dir, `${runId}.jsonl`);
  }

  it('should give the summary of the whole read for the run cut after any line, and with a torn last line', async () => {
    const whole = fs.readFileSync(await journaledRun('tallied'), 'utf8');
    const lines = whole.split('\n').slice(0, -1);
    for (const kind of ['"willRetry":true', '"willRetry":false', 'tasks.spawned', 'task.skipped', '"warning"', 'dag.completed']) {
      expect(lines.some((line) => line.includes(kind))).toBe(true);
    }
    const file = path.join(dir, 'cut.jsonl');
    for (let kept = 1; kept <= lines.length; kept++) {
      for (const torn of ['', '{"type":"task.comp']) {
        fs.writeFileSync(file, `${lines.slice(0, kept).join('\n')}\n${torn}`);
        const quick = tallyOfFile(file);
        expect(quick).toBeDefined();
        const read = readRecord(file, undefined, false);
        for (const owned of [false, true]) {
          expect(summaryOfTally(quick!.header, quick!.tally, owned)).toEqual(summarize(read.header, read.events, owned));
        }
      }
    }
  });

  it('should leave to the whole read a line that does not begin as the journal writes one', async () => {
    const [header, ...events] = fs.readFileSync(await journaledRun('reordered-source'), 'utf8').split('\n');
    const file = path.join(dir, 'reordered.jsonl');
    fs.writeFileSync(file, [header, '{"runId":"tallied","type":"task.ready"}', ...events].join('\n'));
    expect(tallyOfFile(file)).toBeUndefined();
    // a line shorter than a type's start, too
    fs.writeFileSync(file, [header, '{}', ...events].join('\n'));
    expect(tallyOfFile(file)).toBeUndefined();
  });

  it('should list a run one of whose lines has fields a tally cannot add up, to that line, and refuse it on resume', async () => {
    const lines = fs
      .readFileSync(await journaledRun('odd-fields-source'), 'utf8')
      .split('\n')
      .slice(0, -1);
    const spawned = lines.findIndex((line) => line.startsWith('{"type":"tasks.spawned"'));
    const created = lines.findIndex((line) => line.startsWith('{"type":"dag.created"'));
    const store = fs.mkdtempSync(path.join(dir, 'odd-'));
    const odd = (line: string, field: string, value: unknown) =>
      JSON.stringify({ ...(JSON.parse(line) as object), [field]: value }).replace('"odd-fields-source"', '"odd"');
    const cases: [number, string, unknown, RegExp][] = [
      [spawned, 'tasks', null, /tasks\.spawned has tasks null, expected an array/],
      [created, 'taskCount', 'many', /dag\.created has taskCount "many", expected a whole number/],
      [lines.length - 1, 'counts', null, /dag\.completed has counts null/],
      [lines.length - 1, 'outcome', 'fine', /dag\.completed has outcome "fine"/],
    ];
    for (const [at, field, value, problem] of cases) {
      const kept = lines.slice(0, at).map((line) => line.replaceAll('"odd-fields-source"', '"odd"'));
      fs.writeFileSync(path.join(store, 'odd.jsonl'), `${[...kept, odd(lines[at]!, field, value)].join('\n')}\n`);
      const unreadable: unknown[] = [];
      const [listed] = await fileJournal(store).runs({ onUnreadable: (error) => unreadable.push(error) });
      expect([listed?.status, listed?.lastSeq, unreadable]).toEqual(['interrupted', at - 1, []]);
      expect(() => readRecord(path.join(store, 'odd.jsonl'), 'odd', true)).toThrow(problem);
    }
  });
});
