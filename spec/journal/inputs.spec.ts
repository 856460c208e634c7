import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { DagValidationError, defineDag, fileJournal, runDag } from '../../src/index';
import { MAX_JSON_BYTES } from '../../src/jsonSafe';

/**
 * Inputs of a journaled run: its record holds the DAG as JSON, so an input JSON would change
 * (a Date, a function, NaN) is refused before anything runs or is written, every such task named.
 */
describe('inputs of a journaled run', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-inputs-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const dag = defineDag({
    id: 'in',
    tasks: [
      { id: 'plain', agent: 'fn', input: { n: 1, tags: ['a'] } },
      { id: 'dated', agent: 'fn', input: { when: new Date(0) } },
      { id: 'odd', agent: 'fn', input: [1, Number.NaN] },
    ],
  });

  /** What a journaled run of `refused` threw, and the inputs its agent was handed. */
  const journaledRun = (refused: typeof dag): { error: unknown; seen: unknown[] } => {
    const seen: unknown[] = [];
    try {
      runDag(refused, { agents: { fn: ({ input }) => seen.push(input) }, journal: fileJournal(dir) });
      return { error: undefined, seen };
    } catch (error) {
      return { error, seen };
    }
  };

  it('should refuse inputs JSON would change, naming each task and value, and write and run nothing', () => {
    const { error, seen } = journaledRun(dag);
    expect(error).toBeInstanceOf(DagValidationError);
    expect((error as DagValidationError).issues.map((issue) => [issue.path, issue.message])).toEqual([
      [
        ['tasks', 1, 'input'],
        'input of task "dated" is not JSON-safe: $.when is a Date (only plain objects, arrays and primitives are JSON-safe); a journaled run keeps its inputs as JSON',
      ],
      [['tasks', 2, 'input'], 'input of task "odd" is not JSON-safe: $[1] is NaN; a journaled run keeps its inputs as JSON'],
    ]);
    expect(seen).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('should refuse inputs too big together for the line that keeps the DAG, each fitting alone, and write and run nothing', () => {
    // 100 Mi characters of é: 200 MiB of UTF-8 a task, three of them more than a line a journal reads back
    const text = 'é'.repeat(100 * 1024 * 1024);
    const big = defineDag({ id: 'big', tasks: ['a', 'b', 'c'].map((id) => ({ id, agent: 'fn', input: { text } })) });
    const { error, seen } = journaledRun(big);
    expect(error).toBeInstanceOf(DagValidationError);
    expect((error as DagValidationError).issues.map((issue) => [issue.path, issue.message])).toEqual([
      [
        ['tasks'],
        `the tasks' inputs are ${3 * (2 * text.length + '{"text":""}'.length)} bytes of JSON (UTF-8) together, more than a journal ` +
          `holds in the line that keeps the DAG (${MAX_JSON_BYTES}): run it without a journal, or keep big inputs elsewhere and give the tasks where they are`,
      ],
    ]);
    expect(seen).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('should hand the same inputs to agents of a run without a journal, where nothing is kept as JSON', async () => {
    const seen: unknown[] = [];
    await lastValueFrom(runDag(dag, { agents: { fn: ({ input }) => (seen.push(input), 1) } }).pipe(toArray()));
    expect(seen).toHaveLength(3);
    expect(seen).toContainEqual({ when: new Date(0) });
  });
});
