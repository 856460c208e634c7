import { edgesOf, type GraphSource } from './graphSource';

/**
 * The DAG in Graphviz DOT, left to right: `rxdag graph dag.yaml --format dot | dot -Tsvg`.
 *
 * @example
 * toDot(dag)
 * // digraph "release" {
 * //   rankdir=LR;
 * //   node [shape=box];
 * //   "build";
 * //   "build" -> "test";
 * // }
 */
export function toDot(source: GraphSource): string {
  const lines = [`digraph ${quote(source.id)} {`, '  rankdir=LR;', '  node [shape=box];'];
  // Graphviz draws a node named `%…` by an id of its own (`%3`): its label says the task's
  for (const task of source.tasks) lines.push(`  ${quote(task.id)}${task.id.startsWith('%') ? ` [label=${quote(task.id)}]` : ''};`);
  for (const [from, to, when] of edgesOf(source)) {
    // a `when` task's edges dashed, labelled with its rule
    lines.push(`  ${quote(from)} -> ${quote(to)}${when === undefined ? '' : ` [style=dashed, label=${quote(when)}]`};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/**
 * A DOT quoted id: backslashes and quotes escaped, newlines kept as `\n`, and `&` as `&amp;`:
 * Graphviz reads entities in the labels it draws (a node's is its id), so `x&lt;y` would show
 * as `x<y`.
 */
function quote(text: string): string {
  return `"${text.replace(/&/g, '&amp;').replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
