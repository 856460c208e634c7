import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { type CompactDag, generateDag, taskIds } from '../dagGenerator';

/**
 * DAG files for the CLI benchmark: the shared generator's `layered` graph (seed 42, layers of
 * 100, 1–3 parents each from earlier layers), every task `sleep: 0`, written as JSON (one task a
 * line) and as block-style YAML, the two ways a user writes a big DAG file. Both files hold the
 * very same DAG (`id`, tasks in the same order, the same deps).
 *
 *   tsx benchmarks/cli/generate.ts [SIZE] [DIR]     default 100000, the OS temp folder
 */

export interface DagFiles {
  readonly size: number;
  readonly json: string;
  readonly yaml: string;
  /** Dependencies (edges) in the DAG. */
  readonly edges: number;
}

/** The DAG id both files carry. */
export function dagFileId(size: number): string {
  return `cli-layered-${size}`;
}

/** Writes `layered-SIZE.json` and `layered-SIZE.yaml` into `dir` (created if missing). */
export function writeDagFiles(dir: string, size = 100_000, seed = 42): DagFiles {
  mkdirSync(dir, { recursive: true });
  const graph = generateDag({ shape: 'layered', size, seed });
  const json = path.join(dir, `layered-${size}.json`);
  const yaml = path.join(dir, `layered-${size}.yaml`);
  writeFileSync(json, toJson(graph));
  writeFileSync(yaml, toYaml(graph));
  return { size, json, yaml, edges: graph.depTargets.length };
}

function depsOf(graph: CompactDag, ids: readonly string[], i: number): string[] {
  const deps: string[] = [];
  for (let k = graph.depStart[i]!; k < graph.depStart[i + 1]!; k++) deps.push(ids[graph.depTargets[k]!]!);
  return deps;
}

function toJson(graph: CompactDag): string {
  const ids = taskIds(graph.size);
  const lines: string[] = [];
  for (let i = 0; i < graph.size; i++) {
    const deps = depsOf(graph, ids, i);
    lines.push(`    ${JSON.stringify(deps.length === 0 ? { id: ids[i], sleep: 0 } : { id: ids[i], deps, sleep: 0 })}`);
  }
  return `{\n  "id": ${JSON.stringify(dagFileId(graph.size))},\n  "tasks": [\n${lines.join(',\n')}\n  ]\n}\n`;
}

function toYaml(graph: CompactDag): string {
  const ids = taskIds(graph.size);
  const lines: string[] = [`id: ${dagFileId(graph.size)}`, 'tasks:'];
  for (let i = 0; i < graph.size; i++) {
    const deps = depsOf(graph, ids, i);
    lines.push(`  - id: ${ids[i]}`);
    if (deps.length > 0) lines.push(`    deps: [${deps.join(', ')}]`);
    lines.push('    sleep: 0');
  }
  return `${lines.join('\n')}\n`;
}

if (require.main === module) {
  const size = Number(process.argv[2] ?? 100_000);
  if (!Number.isInteger(size) || size < 1) throw new TypeError(`SIZE must be a positive integer (got ${process.argv[2]})`);
  const dir = path.resolve(process.argv[3] ?? path.join(require('node:os').tmpdir(), 'rxdag-bench-cli'));
  const files = writeDagFiles(dir, size);
  process.stdout.write(`${files.json}\n${files.yaml}\n(${files.size} tasks, ${files.edges} dependencies)\n`);
}
