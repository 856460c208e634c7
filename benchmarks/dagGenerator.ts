import type { DagSpec, TaskSpec } from '../src/index';

/**
 * Seeded DAG shapes shared by every benchmark, so rxdag, the Kahn floor and p-graph all run the
 * very same graph. Tasks are generated in topological order (every dependency has a lower index),
 * and a graph is kept in a compact CSR form; {@link toDagSpec} and the executors' adapters turn
 * it into what each of them takes.
 */

/** The shapes the suites run. */
export type DagShape = 'chain' | 'fan-out' | 'layered' | 'sequential' | 'parallel';

export const DAG_SHAPES: readonly DagShape[] = ['chain', 'fan-out', 'layered', 'sequential', 'parallel'];

/** What to generate. */
export interface DagRecipe {
  readonly shape: DagShape;
  /** Number of tasks (`sequential` is always 3). */
  readonly size: number;
  /** Seed of the random parents of `layered`. @default 42 */
  readonly seed?: number;
  /** Tasks per layer of `layered`. @default 100 */
  readonly layerWidth?: number;
}

/**
 * A generated DAG: the dependencies of task `i` are `depTargets[depStart[i] .. depStart[i + 1])`.
 * Typed arrays, so a million-task graph costs a few MB and not a million objects.
 */
export interface CompactDag {
  readonly shape: DagShape;
  readonly size: number;
  readonly seed: number;
  readonly depStart: Int32Array;
  readonly depTargets: Int32Array;
}

const DEFAULT_SEED = 42;
const DEFAULT_LAYER_WIDTH = 100;

/**
 * Generates a DAG.
 * - `chain`: task i depends on task i-1 (no parallelism: the dispatch path on its own).
 * - `fan-out`: one root, every other task depends on it (a single burst of n-1 ready tasks).
 * - `layered`: layers of `layerWidth` tasks; each task after the first layer has 1–3 distinct
 *   parents drawn uniformly from all earlier layers.
 * - `sequential`: a chain of 3. `parallel`: n tasks, no dependencies.
 *
 * @example
 * const graph = generateDag({ shape: 'layered', size: 100_000, seed: 7 });
 */
export function generateDag(recipe: DagRecipe): CompactDag {
  const seed = recipe.seed ?? DEFAULT_SEED;
  const size = recipe.shape === 'sequential' ? 3 : recipe.size;
  if (!Number.isInteger(size) || size < 0) throw new TypeError(`\`size\` must be a non-negative integer (got ${recipe.size})`);
  const depStart = new Int32Array(size + 1);
  switch (recipe.shape) {
    case 'chain':
    case 'sequential':
      return fill(recipe.shape, size, seed, depStart, (i, push) => i > 0 && push(i - 1));
    case 'fan-out':
      return fill(recipe.shape, size, seed, depStart, (i, push) => i > 0 && push(0));
    case 'parallel':
      return fill(recipe.shape, size, seed, depStart, () => undefined);
    case 'layered':
      return layered(size, seed, recipe.layerWidth ?? DEFAULT_LAYER_WIDTH, depStart);
  }
}

type AddDeps = (task: number, push: (dep: number) => void) => unknown;

function fill(shape: DagShape, size: number, seed: number, depStart: Int32Array, addDeps: AddDeps): CompactDag {
  const targets = new GrowableInt32(size);
  for (let i = 0; i < size; i++) {
    depStart[i] = targets.length;
    addDeps(i, (dep) => targets.push(dep));
  }
  depStart[size] = targets.length;
  return { shape, size, seed, depStart, depTargets: targets.toArray() };
}

function layered(size: number, seed: number, width: number, depStart: Int32Array): CompactDag {
  if (!Number.isInteger(width) || width < 1) throw new TypeError(`\`layerWidth\` must be a positive integer (got ${width})`);
  const random = xorshift32(seed);
  const targets = new GrowableInt32(size * 2);
  for (let i = 0; i < size; i++) {
    depStart[i] = targets.length;
    const earlier = i - (i % width); // tasks of all earlier layers are 0 .. earlier-1
    if (earlier === 0) continue;
    const wanted = Math.min(1 + Math.floor(random() * 3), earlier);
    const first = targets.length;
    while (targets.length - first < wanted) {
      const parent = Math.floor(random() * earlier);
      if (!targets.includesFrom(first, parent)) targets.push(parent);
    }
  }
  depStart[size] = targets.length;
  return { shape: 'layered', size, seed, depStart, depTargets: targets.toArray() };
}

/**
 * Marsaglia's xorshift32: a tiny, fast, seedable generator, good enough to pick parents and the
 * same on every machine (unlike `Math.random`). Returns floats in [0, 1).
 */
export function xorshift32(seed: number): () => number {
  let state = seed | 0 || 0x9e3779b9; // zero is a fixed point of xorshift
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

/** An append-only int32 list; avoids a JS array of boxed numbers for million-edge graphs. */
class GrowableInt32 {
  private data: Int32Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Int32Array(Math.max(16, capacity));
  }
  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
  includesFrom(from: number, value: number): boolean {
    for (let i = from; i < this.length; i++) if (this.data[i] === value) return true;
    return false;
  }
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/** The id of task `index` in every executor's input. */
export function taskId(index: number): string {
  return `t${index}`;
}

/** Number of edges (dependencies) of a generated graph. */
export function edgeCount(graph: CompactDag): number {
  return graph.depTargets.length;
}

/**
 * The graph as a `defineDag` spec: tasks `{ id, deps, agent }`, every task on one agent.
 *
 * @example
 * const dag = defineDag(toDagSpec(generateDag({ shape: 'chain', size: 1000 })));
 */
export function toDagSpec(graph: CompactDag, agent = 'noop'): DagSpec {
  const ids = taskIds(graph.size);
  const tasks: TaskSpec[] = new Array<TaskSpec>(graph.size);
  for (let i = 0; i < graph.size; i++) {
    // sized up front, as JSON.parse sizes arrays: `push` onto [] reserves 17 slots, which would
    // make the benchmark's own input weigh twice what a parsed DAG file does (~130 MB at 1M)
    const first = graph.depStart[i]!;
    const deps = new Array<string>(graph.depStart[i + 1]! - first);
    for (let k = 0; k < deps.length; k++) deps[k] = ids[graph.depTargets[first + k]!]!;
    tasks[i] = { id: ids[i]!, deps, agent };
  }
  return { id: `${graph.shape}-${graph.size}`, tasks };
}

/** Ids of tasks 0 .. size-1, created once so executors share the strings. */
export function taskIds(size: number): string[] {
  const ids = new Array<string>(size);
  for (let i = 0; i < size; i++) ids[i] = taskId(i);
  return ids;
}
