import { defineDag } from '../../../src/index';
import { toDot } from '../../../src/cli/graph/dot';
import { toMermaid } from '../../../src/cli/graph/mermaid';

/** The edges into a task with `when` are drawn apart, labelled with its rule: it runs on more than its dependencies' success. */
describe('rxdag graph of trigger rules', () => {
  const dag = defineDag({
    id: 'rules',
    tasks: [
      { id: 'build', agent: 'x' },
      { id: 'test', agent: 'x', deps: ['build'] },
      { id: 'cleanup', agent: 'x', deps: ['test'], when: 'all-done' },
      { id: 'alert', agent: 'x', deps: ['build', 'test'], when: 'any-failed' },
    ],
  });

  it('should dot and label them in Mermaid', () => {
    expect(toMermaid(dag).split('\n').slice(5)).toEqual(['  t0 --> t1', '  t1 -. "all-done" .-> t2', '  t0 -. "any-failed" .-> t3', '  t1 -. "any-failed" .-> t3', '']);
  });

  it('should dash and label them in DOT', () => {
    expect(toDot(dag).split('\n').filter((line) => line.includes('->'))).toEqual([
      '  "build" -> "test";',
      '  "test" -> "cleanup" [style=dashed, label="all-done"];',
      '  "build" -> "alert" [style=dashed, label="any-failed"];',
      '  "test" -> "alert" [style=dashed, label="any-failed"];',
    ]);
  });
});
