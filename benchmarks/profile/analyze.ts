import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { originalPosition, sourceMapOf } from './sourceMap';

/**
 * Reads V8 profiles and says where the time (a `.cpuprofile`) or the allocated bytes (a sampling
 * heap profile) went: per function, self and total, and for time also per source line, with
 * `dist/` positions mapped back to `src/` lines and everything in `node_modules` named by its
 * package.
 */

export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number };
  readonly children?: readonly number[];
  readonly positionTicks?: readonly { readonly line: number; readonly ticks: number }[];
}

export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface FunctionCost {
  readonly name: string;
  /** `src/state/reducer.ts:120`, `rxjs`, `(garbage collector)`, `node:internal/…`. */
  readonly location: string;
  readonly selfMs: number;
  readonly totalMs: number;
}

export interface LineCost {
  readonly location: string;
  readonly selfMs: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly functions: readonly FunctionCost[];
  readonly lines: readonly LineCost[];
  /** Self time by area: `src/state`, `rxjs`, `(garbage collector)`, … */
  readonly areas: readonly { readonly area: string; readonly selfMs: number }[];
}

/** Where a frame's code lives, mapped to `src/` when a source map says so. `line` is 0-based. */
function locate(url: string, line: number, column: number, root: string): { location: string; area: string; file?: string; line?: number } {
  if (url === '') return { location: '(V8)', area: '(V8 builtins, GC, idle)' };
  if (url.startsWith('node:')) return { location: url, area: 'node internals' };
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  const modules = file.lastIndexOf(`node_modules${path.sep}`);
  if (modules >= 0) {
    const rest = file.slice(modules + 'node_modules/'.length).split(path.sep);
    const name = rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
    return { location: name, area: name };
  }
  const map = sourceMapOf(file);
  const original = map === undefined ? undefined : originalPosition(map, line, column);
  const sourceFile = original === undefined ? file : path.resolve(path.dirname(file), original.source);
  const sourceLine = original === undefined ? line : original.line;
  const relative = path.relative(root, sourceFile);
  const area = path.dirname(relative);
  return { location: `${relative}:${sourceLine + 1}`, area, file: relative, line: sourceLine };
}

/** Summarizes a profile; `root` is the repository, for relative paths. */
export function summarizeProfile(profile: CpuProfile, root: string): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the time before sample i; it is charged to that sample's node.
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, profile.timeDeltas[i] ?? 0));
  }
  const totalUs = new Map<number, number>();
  const total = (id: number): number => {
    const known = totalUs.get(id);
    if (known !== undefined) return known;
    let sum = selfUs.get(id) ?? 0;
    for (const child of byId.get(id)?.children ?? []) sum += total(child);
    totalUs.set(id, sum);
    return sum;
  };

  const functions = new Map<string, { name: string; location: string; selfUs: number; totalUs: number }>();
  const lines = new Map<string, number>();
  const areas = new Map<string, number>();
  const onStack = new Set<string>(); // a recursive function's total counts once
  let excludedUs = 0;
  const visit = (id: number): void => {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    if (url === 'node:inspector') {
      excludedUs += total(id); // the profiler's own start and stop calls
      return;
    }
    const where = locate(url, lineNumber, columnNumber, root);
    const name = functionName || (url === '' ? functionName : '(anonymous)');
    const key = `${name} ${where.location}`;
    const entry = functions.get(key) ?? { name: name || '(root)', location: where.location, selfUs: 0, totalUs: 0 };
    const self = selfUs.get(id) ?? 0;
    entry.selfUs += self;
    const recursive = onStack.has(key);
    if (!recursive) entry.totalUs += total(id);
    functions.set(key, entry);
    const area = url === '' && name.startsWith('(') ? name : where.area;
    areas.set(area, (areas.get(area) ?? 0) + self);
    addLineTicks(node, url, self, root, lines);
    onStack.add(key);
    for (const child of node.children ?? []) visit(child);
    if (!recursive) onStack.delete(key);
  };
  const root0 = profile.nodes[0];
  if (root0 !== undefined) visit(root0.id);

  const sortedBy = <T>(values: Iterable<T>, cost: (value: T) => number) => [...values].sort((a, b) => cost(b) - cost(a));
  return {
    totalMs: (profile.endTime - profile.startTime - excludedUs) / 1000,
    functions: sortedBy(functions.values(), (f) => f.selfUs).map((f) => ({ name: f.name, location: f.location, selfMs: f.selfUs / 1000, totalMs: f.totalUs / 1000 })),
    lines: sortedBy(lines, ([, us]) => us).map(([location, us]) => ({ location, selfMs: us / 1000 })),
    areas: sortedBy(areas, ([, us]) => us).map(([area, us]) => ({ area, selfMs: us / 1000 })),
  };
}

/** Spreads a node's self time over its source lines in proportion to V8's per-line ticks. */
function addLineTicks(node: CpuProfileNode, url: string, selfUs: number, root: string, lines: Map<string, number>): void {
  const ticks = node.positionTicks ?? [];
  const tickSum = ticks.reduce((sum, t) => sum + t.ticks, 0);
  if (tickSum === 0 || selfUs === 0) return;
  for (const { line, ticks: count } of ticks) {
    // positionTicks lines are 1-based; the column is unknown, so the line's first mapping is used.
    const where = locate(url, line - 1, 0, root);
    if (where.file === undefined) return; // packages and V8 have their own rows by function
    lines.set(where.location, (lines.get(where.location) ?? 0) + (selfUs * count) / tickSum);
  }
}

/** A node of V8's sampling heap profile (`HeapProfiler.stopSampling`). */
export interface AllocationProfileNode {
  readonly callFrame: CpuProfileNode['callFrame'];
  /** Bytes sampled as allocated by this frame itself. */
  readonly selfSize: number;
  readonly children: readonly AllocationProfileNode[];
}

export interface AllocationCost {
  readonly name: string;
  readonly location: string;
  readonly selfBytes: number;
  readonly totalBytes: number;
}

export interface AllocationSummary {
  readonly totalBytes: number;
  readonly functions: readonly AllocationCost[];
  readonly areas: readonly { readonly area: string; readonly selfBytes: number }[];
}

/**
 * Bytes allocated per function (at its definition, mapped to `src/`), self and with callees.
 * Built-ins allocating on behalf of a caller (`slice`, `push`, `Map.set`) keep their own rows.
 */
export function summarizeAllocations(head: AllocationProfileNode, root: string): AllocationSummary {
  const functions = new Map<string, { name: string; location: string; selfBytes: number; totalBytes: number }>();
  const areas = new Map<string, number>();
  const onStack = new Set<string>();
  let totalBytes = 0;
  const visit = (node: AllocationProfileNode): number => {
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    if (url === 'node:inspector') return 0;
    const where = locate(url, lineNumber, columnNumber, root);
    const name = functionName || '(anonymous)';
    const key = `${name} ${where.location}`;
    const entry = functions.get(key) ?? { name, location: where.location, selfBytes: 0, totalBytes: 0 };
    functions.set(key, entry);
    entry.selfBytes += node.selfSize;
    totalBytes += node.selfSize;
    areas.set(where.area, (areas.get(where.area) ?? 0) + node.selfSize);
    const recursive = onStack.has(key);
    onStack.add(key);
    let subtree = node.selfSize;
    for (const child of node.children) subtree += visit(child);
    if (!recursive) {
      onStack.delete(key);
      entry.totalBytes += subtree;
    }
    return subtree;
  };
  visit(head);
  return {
    totalBytes,
    functions: [...functions.values()].sort((a, b) => b.selfBytes - a.selfBytes),
    areas: [...areas].sort((a, b) => b[1] - a[1]).map(([area, selfBytes]) => ({ area, selfBytes })),
  };
}
