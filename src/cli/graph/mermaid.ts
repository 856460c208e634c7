import { edgesOf, type GraphSource } from './graphSource';

/**
 * The DAG as a Mermaid flowchart, left to right. Nodes get generated ids (`t0`, `t1`…) because
 * task ids may hold characters Mermaid reads as syntax; the task id is the quoted label.
 *
 * @example
 * toMermaid(dag)
 * // flowchart LR
 * //   t0["build"]
 * //   t1["test"]
 * //   t0 --> t1
 * // an edge into a task with `when` is dotted and labelled: t1 -. "all-done" .-> t2
 */
export function toMermaid(source: GraphSource): string {
  const nodeId = new Map(source.tasks.map((task, i) => [task.id, `t${i}`]));
  const lines = ['flowchart LR'];
  for (const task of source.tasks) lines.push(`  ${nodeId.get(task.id)}["${mermaidLabel(task.id)}"]`);
  for (const [from, to, when] of edgesOf(source)) {
    // a `when` task's edges dotted, labelled with its rule
    lines.push(
      when === undefined ? `  ${nodeId.get(from)} --> ${nodeId.get(to)}` : `  ${nodeId.get(from)} -. "${when}" .-> ${nodeId.get(to)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Mermaid labels take entities (`#quot;`, `#35;`) and HTML ones (`&lt;`): `#` and `&` are
 * escaped first, so an id that looks like one shows as written; a backtick too, which would
 * make the label a Markdown string (`` `**x**` `` drawn bold, its backticks gone).
 */
function mermaidLabel(text: string): string {
  return text
    .replace(/#/g, '#35;')
    .replace(/&/g, '#38;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/`/g, '#96;');
}
