/** What graph exports need of a DAG: task ids and their dependencies (a defined `Dag` fits). */
export interface GraphSource {
  readonly id: string;
  readonly tasks: readonly { readonly id: string; readonly deps: readonly string[] }[];
}

/** Every edge, from dependency to dependent, in task order. */
export function edgesOf(source: GraphSource): [from: string, to: string][] {
  return source.tasks.flatMap((task) => task.deps.map((dep): [string, string] => [dep, task.id]));
}
