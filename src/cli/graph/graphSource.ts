/**
 * What graph exports need of a DAG: task ids, their dependencies and trigger rules (a defined
 * `Dag` fits), and its edges with the rule of the task they lead to, for the exports to draw the
 * edges of a `when` task apart (it runs on more than its dependencies' success).
 */
export interface GraphSource {
  readonly id: string;
  readonly tasks: readonly { readonly id: string; readonly deps: readonly string[]; readonly when?: string | undefined }[];
}

/** An edge, from dependency to dependent, and the dependent's `when` if it has one. */
export type GraphEdge = [from: string, to: string, when: string | undefined];

/** Every edge, in task order. */
export function edgesOf(source: GraphSource): GraphEdge[] {
  return source.tasks.flatMap((task) => task.deps.map((dep): GraphEdge => [dep, task.id, task.when]));
}
