import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { type Agent, type DagEvent, defineDag, fileJournal, resumeRun, runDag } from '../../src';

/**
 * What an agent is handed stays what the DAG and the journal say, whatever agents do with it: a
 * JSON-safe input is a frozen copy (the same for every attempt and every run), the outputs of
 * its dependencies are frozen all the way down, live and after a resume alike, and its signal
 * takes as many listeners as the calls it is handed to.
 */
describe('what an agent is handed', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
  const quiet = { healthCheckIntervalMs: 0 } as const;
  const run = (dag: Parameters<typeof runDag>[0], agents: Record<string, Agent>, more: object = {}) =>
    lastValueFrom(runDag(dag, { ...quiet, agents, ...more }).pipe(toArray()));

  it("should hand every attempt and every run the task's input as written, a frozen copy its agent cannot grow", async () => {
    const messages = [{ role: 'system', content: 'be brief' }];
    const dag = defineDag({ id: 'chat', tasks: [{ id: 'ask', agent: 'llm', input: { messages }, retry: { attempts: 3 } }] });
    const sent: number[] = [];
    const refusals: string[] = [];
    const llm: Agent<{ messages: { role: string; content: string }[] }> = ({ input, attempt }) => {
      try {
        input.messages.push({ role: 'user', content: 'answer in JSON' });
      } catch (error) {
        refusals.push((error as Error).name);
      }
      sent.push(input.messages.length);
      if (attempt < 3) throw new Error('503');
      return input.messages.length;
    };
    await run(dag, { llm });
    await run(dag, { llm });
    expect(sent).toEqual([1, 1, 1, 1, 1, 1]);
    expect(refusals).toEqual(Array(6).fill('TypeError'));
    // the caller's own object is neither changed nor frozen
    messages.push({ role: 'user', content: 'later' });
    expect(dag.tasks[0]!.input).toEqual({ messages: [{ role: 'system', content: 'be brief' }] });
  });

  it('should make one copy of an input object many tasks share (a config given to each), not one a task', () => {
    const shared = { rows: Array.from({ length: 100 }, (_, k) => ({ k })) };
    const dag = defineDag({ id: 'many', tasks: Array.from({ length: 1000 }, (_, i) => ({ id: `t${i}`, agent: 'a', input: shared })) });
    const inputs = new Set(dag.tasks.map((task) => task.input));
    expect(inputs.size).toBe(1);
    expect([...inputs][0]).not.toBe(shared);
    expect([...inputs][0]).toEqual(shared);
    expect(Object.isFrozen(([...inputs][0] as typeof shared).rows[99])).toBe(true);
  });

  it('should hand an input JSON cannot copy (a Date, a client object) as it is, to a run without a journal', async () => {
    const client = {
      calls: 0,
      call() {
        return ++this.calls;
      },
    };
    const at = new Date(0);
    const dag = defineDag({ id: 'raw', tasks: [{ id: 'a', agent: 'use', input: { client, at } }] });
    const use: Agent<{ client: typeof client; at: Date }> = ({ input }) => input.client.call() + (input.at === at ? 10 : 0);
    const events = await run(dag, { use });
    expect(events[events.length - 1]).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    expect(client.calls).toBe(1);
    expect(events.find((e) => e.type === 'task.completed')).toMatchObject({ output: 11 });
  });

  it("should hand dependents an output frozen all the way down after a resume, as a live run does, so that one cannot change a sibling's", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-handed-'));
    dirs.push(dir);
    const dag = defineDag({
      id: 'fan',
      tasks: [
        { id: 'p', agent: 'make' },
        { id: 'c1', agent: 'change', deps: ['p'] },
        { id: 'c2', agent: 'change', deps: ['p'] },
      ],
    });
    const make: Agent = () => ({ n: { k: 1 }, list: [{ x: 1 }] });
    const seen: unknown[] = [];
    const change: Agent = ({ upstream }) => {
      const p = upstream['p'] as { n: { k: number }; list: { x: number }[] };
      seen.push(structuredClone(p));
      const refused: string[] = [];
      for (const write of [() => (p.n.k = 5), () => (p.list[0]!.x = 5), () => p.list.push({ x: 2 })]) {
        try {
          write();
        } catch (error) {
          refused.push((error as Error).name);
        }
      }
      return refused;
    };
    // live, then with the run cut after p's completion, as a kill -9 leaves it
    const live = await run(dag, { make, change }, { journal: fileJournal(dir), runId: 'live' });
    const file = path.join(dir, 'live.jsonl');
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    const cut = lines.findIndex((line) => line.includes('"task.completed"') && line.includes('"taskId":"p"'));
    fs.writeFileSync(
      path.join(dir, 'cut.jsonl'),
      `${lines
        .slice(0, cut + 1)
        .join('\n')
        .replace(/"runId":"live"/g, '"runId":"cut"')}\n`,
    );
    const resumed = await lastValueFrom(resumeRun(fileJournal(dir), 'cut', { ...quiet, agents: { make, change } }).pipe(toArray()));
    const refusedOf = (events: DagEvent[]) => events.flatMap((e) => (e.type === 'task.completed' && e.taskId !== 'p' ? [e.output] : []));
    expect(refusedOf(live)).toEqual([Array(3).fill('TypeError'), Array(3).fill('TypeError')]);
    expect(refusedOf(resumed)).toEqual([Array(3).fill('TypeError'), Array(3).fill('TypeError')]);
    expect(seen).toEqual(Array(4).fill({ n: { k: 1 }, list: [{ x: 1 }] }));
  });

  it("should let an agent hand its signal to many calls at once, without Node's leak warning past 10 listeners", () => {
    // in a process of its own: a test runner's sandbox makes signals Node's listener check does not know
    const script = `
      const { runDag } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'src'))});
      const calls = async ({ signal }) => {
        for (let i = 0; i < 25; i++) signal.addEventListener('abort', () => undefined);
        return 'ok';
      };
      runDag({ id: 'fan-out', tasks: [{ id: 'a', agent: 'calls' }] }, { agents: { calls }, healthCheckIntervalMs: 0 })
        .subscribe((event) => event.type === 'dag.completed' && console.log(event.outcome));
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(child.stdout.trim()).toBe('succeeded');
    expect(child.stderr).not.toContain('MaxListenersExceededWarning');
  });
});
