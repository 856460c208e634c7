import { defineDag } from '../../src/dag/defineDag';
import type { DagIssue } from '../../src/dag/errors';
import { type UnknownAgentOptions, unknownAgentIssues } from '../../src/dag/unknownAgents';

/** A DAG of independent tasks `t0`, `t1`, … run by the given agents, in order. */
const dagOf = (...agents: string[]) => defineDag({ id: 'agents', tasks: agents.map((agent, i) => ({ id: `t${i}`, agent })) });

interface Row {
  readonly name: string;
  readonly agents: readonly string[];
  readonly known: readonly string[];
  readonly options?: UnknownAgentOptions;
  readonly issues: readonly DagIssue[];
}

const unknown = (path: (string | number)[], message: string): DagIssue => ({ path, code: 'unknown-agent', message });

const rows: readonly Row[] = [
  { name: 'no unknown agent', agents: ['fn', 'llm', 'fn'], known: ['fn', 'llm'], issues: [] },
  {
    name: 'one name used by one task',
    agents: ['fn', 'gpt', 'fn'],
    known: ['fn'],
    issues: [unknown(['tasks', 1, 'agent'], 'unknown agent "gpt" (used by "t1"); known agents: "fn"')],
  },
  {
    name: 'one name used by five tasks',
    agents: ['fn', 'gpt', 'gpt', 'fn', 'gpt', 'gpt', 'gpt'],
    known: ['fn', 'llm'],
    issues: [unknown(['tasks', 1, 'agent'], 'unknown agent "gpt" (used by "t1", "t2", "t4" and 2 more); known agents: "fn", "llm"')],
  },
  {
    name: 'two names, in order of first use',
    agents: ['b', 'fn', 'a', 'b'],
    known: ['fn'],
    issues: [
      unknown(['tasks', 0, 'agent'], 'unknown agent "b" (used by "t0", "t3"); known agents: "fn"'),
      unknown(['tasks', 2, 'agent'], 'unknown agent "a" (used by "t2"); known agents: "fn"'),
    ],
  },
  {
    name: 'no known agents',
    agents: ['fn'],
    known: [],
    issues: [unknown(['tasks', 0, 'agent'], 'unknown agent "fn" (used by "t0"); known agents: none')],
  },
  {
    name: 'spawned tasks only, at their spawn paths',
    agents: ['gpt', 'fn', 'fn', 'gpt', 'gpt'],
    known: ['fn'],
    options: { fromTask: 2, pathOf: (task) => ['spawn', task - 2, 'agent'] },
    issues: [unknown(['spawn', 1, 'agent'], 'unknown agent "gpt" (used by "t3", "t4"); known agents: "fn"')],
  },
  {
    name: 'a long name, cut in the message',
    agents: ['x'.repeat(100)],
    known: ['fn'],
    issues: [unknown(['tasks', 0, 'agent'], `unknown agent "${'x'.repeat(80)}…" (100 characters) (used by "t0"); known agents: "fn"`)],
  },
];

describe('unknownAgentIssues', () => {
  it.each(rows)('should report $name', ({ agents, known, options, issues }) => {
    const hasAgent = (name: string) => known.includes(name);
    expect(unknownAgentIssues(dagOf(...agents), hasAgent, known, options)).toEqual(issues);
  });

  it('should ask about each agent name once, not once per task', () => {
    const asked: string[] = [];
    const dag = dagOf(...Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? 'fn' : 'gpt')));
    const issues = unknownAgentIssues(dag, (name) => (asked.push(name), name === 'fn'), ['fn']);
    expect(asked).toEqual(['fn', 'gpt']);
    expect(issues.map((issue) => issue.message)).toEqual([
      'unknown agent "gpt" (used by "t1", "t3", "t5" and 497 more); known agents: "fn"',
    ]);
  });
});
