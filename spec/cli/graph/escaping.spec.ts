import { toDot } from '../../../src/cli/graph/dot';
import { toMermaid } from '../../../src/cli/graph/mermaid';

/** Task ids that look like the syntax or entities of Mermaid and DOT show as written. */
describe('rxdag graph labels', () => {
  const source = (ids: readonly string[]) => ({ id: 'g', tasks: ids.map((id) => ({ id, deps: [] as string[] })) });

  it('should escape #, &, quotes and angle brackets in Mermaid labels, # and & first', () => {
    expect(toMermaid(source(['#35;', 'x&lt;y', 'a "b" <c>']))).toBe(
      'flowchart LR\n  t0["#35;35;"]\n  t1["x#38;lt;y"]\n  t2["a #quot;b#quot; #lt;c#gt;"]\n',
    );
  });

  it('should escape a backtick in Mermaid labels, which would make the label Markdown', () => {
    expect(toMermaid(source(['`**bold** x`']))).toBe('flowchart LR\n  t0["#96;**bold** x#96;"]\n');
  });

  it('should label a DOT node whose id starts with %, which Graphviz would draw by an id of its own', () => {
    const dot = toDot({
      id: 'g',
      tasks: [
        { id: '%1', deps: [] },
        { id: '%3', deps: ['%1'] },
        { id: '100%', deps: ['%3'] },
      ],
    });
    expect(dot).toBe(
      'digraph "g" {\n  rankdir=LR;\n  node [shape=box];\n  "%1" [label="%1"];\n  "%3" [label="%3"];\n  "100%";\n  "%1" -> "%3";\n  "%3" -> "100%";\n}\n',
    );
  });

  it('should escape & in DOT ids, which Graphviz draws as labels, besides quotes and backslashes', () => {
    expect(toDot(source(['x&lt;y', 'a"b\\c']))).toBe(
      'digraph "g" {\n  rankdir=LR;\n  node [shape=box];\n  "x&amp;lt;y";\n  "a\\"b\\\\c";\n}\n',
    );
  });
});
