import { defineDag } from '../../src';
import { initialTaskTable, readAttempt, readRemainingDeps, readStatus, StatusCode, TaskTableEditor } from '../../src/state/taskTable';

describe('task table', () => {
  it('should count down a join wider than a word holds (65,535 dependencies and more) exactly', () => {
    const width = 65_544;
    const parents = Array.from({ length: width }, (_, i) => ({ id: `p${i}`, agent: 'x' }));
    // the join sits in the same chunk as the last parents: its count shares their chunk's words
    const dag = defineDag({ id: 'wide', tasks: [...parents, { id: 'join', agent: 'x', deps: parents.map((p) => p.id) }] });
    const join = dag.taskIndex('join')!;
    const initial = initialTaskTable(dag);
    expect(readRemainingDeps(initial, join)).toBe(width);
    expect(readRemainingDeps(initial, join - 1)).toBe(0);

    const editor = new TaskTableEditor(initial);
    const unblockedAt: number[] = [];
    const seen = new Map<number, number>();
    for (let k = 1; k <= width; k++) {
      if (editor.releaseOne(join)) unblockedAt.push(k);
      if (k === 8 || k === 9 || k === 10 || k === width) seen.set(k, editor.remainingDeps(join));
    }
    expect(unblockedAt).toEqual([width]);
    expect(Object.fromEntries(seen)).toEqual({ 8: width - 8, 9: 65_535, 10: 65_534, [width]: 0 });
    const done = editor.finish();
    expect(readRemainingDeps(done, join)).toBe(0);
    expect(readStatus(done, join)).toBe(StatusCode.Pending);
    // the version it started from is unchanged
    expect(readRemainingDeps(initial, join)).toBe(width);
  });

  it('should keep status, attempt and count of a task apart in its word', () => {
    const dag = defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'x' }, { id: 'b', agent: 'x', deps: ['a'] }] });
    const editor = new TaskTableEditor(initialTaskTable(dag));
    editor.setStatus(1, StatusCode.Backoff, 1000);
    expect([editor.status(1), editor.attempt(1), editor.remainingDeps(1)]).toEqual([StatusCode.Backoff, 1000, 1]);
    expect(editor.releaseOne(1)).toBe(false); // count 0, but not pending
    editor.incrementRemaining(1);
    editor.setStatus(1, StatusCode.Pending, 7);
    expect(editor.releaseOne(1)).toBe(true);
    const table = editor.finish();
    expect([readStatus(table, 1), readAttempt(table, 1), readRemainingDeps(table, 1)]).toEqual([StatusCode.Pending, 7, 0]);
    expect(() => new TaskTableEditor(table).setStatus(0, StatusCode.Running, 1024)).toThrow(RangeError);
  });

  it('should keep the highest status code apart from the attempt and the count', () => {
    const dag = defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'x' }, { id: 'b', agent: 'x', deps: ['a'] }] });
    const editor = new TaskTableEditor(initialTaskTable(dag));
    editor.setStatus(1, StatusCode.SkippedAfterFailure, 1000);
    expect(editor.releaseOne(1)).toBe(false);
    const table = editor.finish();
    expect([readStatus(table, 1), readAttempt(table, 1), readRemainingDeps(table, 1)]).toEqual([StatusCode.SkippedAfterFailure, 1000, 0]);
  });
});
