import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type DagEvent, fileJournal } from '../../src';
import { type Child, Children } from '../journal/support/processes';

/**
 * `examples/durable.ts` as a service is run: started as a process of its own (through tsx, with
 * `rxdag` mapped to the source by the tsconfig's paths), stopped with SIGTERM while its slow step
 * runs, started again. The second start resumes the run and ends it, running again only the step
 * that was in flight, reports a run whose record cannot be trusted without giving up the others,
 * and leaves a run `rxdag run` made to `rxdag resume`.
 */

const ROOT = path.join(__dirname, '..', '..');
const EXAMPLE = path.join(ROOT, 'examples', 'durable.ts');
/** Each start may take this long (tsx compiles the program first, slowly on a loaded machine). */
const START_MS = 60_000;

/** Resolves once `child` has printed a line matching `pattern`; fails if it ends first. */
function printed(child: Child, pattern: RegExp): Promise<void> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const listen = (chunk: string) => {
      seen += chunk;
      if (pattern.test(seen)) (child.process.stdout!.off('data', listen), resolve());
    };
    child.process.stdout!.on('data', listen);
    void child.done.then((end) => reject(new Error(`ended before printing ${pattern}: ${end.stdout}${end.stderr}`)));
  });
}

/** The tasks each line `  running <task> (attempt <n>)` names, in order. */
const ran = (stdout: string) => [...stdout.matchAll(/^ {2}running (\S+) \(attempt (\d+)\)$/gm)].map((m) => `${m[1]}#${m[2]}`);

describe('examples/durable.ts', () => {
  const children = new Children();
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-durable-example-'))));
  afterEach(async () => {
    await children.killAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const start = () => children.start(['--import', 'tsx', EXAMPLE, dir], { cwd: ROOT, timeoutMs: START_MS });

  it(
    'should leave its run interrupted on SIGTERM, then resume it at its next start without running completed tasks again',
    async () => {
      const first = start();
      await printed(first, /^ {2}running transform/m);
      first.process.kill('SIGTERM');
      const stopped = await first.done;
      expect(stopped).toMatchObject({ code: 0, signal: null, timedOut: false, stderr: '' });
      const runId = /^run (report-\d+) interrupted: start again to resume it$/m.exec(stopped.stdout)?.[1];
      expect([runId, stopped.stdout]).toEqual([expect.any(String), expect.stringContaining('SIGTERM: interrupting the runs')]);
      expect(ran(stopped.stdout).sort()).toEqual(['fetch-customers#1', 'fetch-orders#1', 'transform#1']);
      expect(await fileJournal(dir).runs()).toMatchObject([{ runId, status: 'interrupted', counts: { completed: 2 } }]);

      // a copy of the record with a line missing: the next start reports it and resumes the run all the same
      const text = fs
        .readFileSync(path.join(dir, `${runId}.jsonl`), 'utf8')
        .split(`"${runId}"`)
        .join('"broken"');
      const lines = text.split('\n');
      lines.splice(3, 1);
      fs.writeFileSync(path.join(dir, 'broken.jsonl'), lines.join('\n'));
      // and a copy marked as the CLI's: left to `rxdag resume`
      const [head, ...rest] = fs
        .readFileSync(path.join(dir, `${runId}.jsonl`), 'utf8')
        .split(`"${runId}"`)
        .join('"cli"')
        .split('\n');
      const header = JSON.parse(head!) as { options: { metadata?: Record<string, unknown> } };
      header.options.metadata = { ...header.options.metadata, madeBy: 'rxdag run' };
      fs.writeFileSync(path.join(dir, 'cli.jsonl'), [JSON.stringify(header), ...rest].join('\n'));

      const resumed = await start().done;
      expect(resumed).toMatchObject({ code: 0, signal: null, timedOut: false, stderr: '' });
      expect(resumed.stdout).toContain(`resuming ${runId} (2 of 4 tasks completed)`);
      expect(resumed.stdout).not.toContain('resuming cli');
      expect(resumed.stdout).toMatch(
        /^run broken not resumed, its record cannot be trusted: journal of run "broken" is corrupt at .+broken\.jsonl:4: /m,
      );
      // the step in flight runs again under its number; the fetches, completed, do not
      expect(ran(resumed.stdout)).toEqual(['transform#1', 'publish#1']);
      expect(resumed.stdout).toContain(`run ${runId} succeeded`);

      const events = await fileJournal(dir).events(runId!);
      const of = (type: DagEvent['type']) =>
        events.flatMap((event) => (event.type === type && 'taskId' in event ? [`${event.taskId}#${event.attempt}`] : [])).sort();
      expect(of('task.started')).toEqual(['fetch-customers#1', 'fetch-orders#1', 'publish#1', 'transform#1', 'transform#1']);
      expect(of('task.completed')).toEqual(['fetch-customers#1', 'fetch-orders#1', 'publish#1', 'transform#1']);
      expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
      expect(children.stillAlive()).toEqual([]);
    },
    2 * START_MS + 10_000,
  );
});
