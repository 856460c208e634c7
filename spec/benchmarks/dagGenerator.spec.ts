import { generateDag, toDagSpec } from '../../benchmarks/dagGenerator';
import { buildKahnGraph, runKahnAsync, runKahnSync } from '../../benchmarks/executors/kahnFloor';

/** The benchmarks are only as good as their graphs and their floor: both checked here. */

function depsOf(graph: ReturnType<typeof generateDag>, task: number): number[] {
  return Array.from(graph.depTargets.subarray(graph.depStart[task], graph.depStart[task + 1]));
}

describe('generateDag', () => {
  it('should give each layered task after the first layer 1–3 distinct parents from earlier layers', () => {
    const graph = generateDag({ shape: 'layered', size: 1000, layerWidth: 10 });
    for (let task = 0; task < 1000; task++) {
      const deps = depsOf(graph, task);
      const layerStart = task - (task % 10);
      if (layerStart === 0) expect(deps).toEqual([]);
      else {
        expect(deps.length).toBeGreaterThanOrEqual(1);
        expect(deps.length).toBeLessThanOrEqual(3);
        expect(new Set(deps).size).toBe(deps.length);
        for (const dep of deps) expect(dep).toBeLessThan(layerStart);
      }
    }
  });

  it('should be deterministic for a seed and differ across seeds', () => {
    const a = generateDag({ shape: 'layered', size: 500, seed: 7 });
    expect(generateDag({ shape: 'layered', size: 500, seed: 7 }).depTargets).toEqual(a.depTargets);
    expect(generateDag({ shape: 'layered', size: 500, seed: 8 }).depTargets).not.toEqual(a.depTargets);
  });

  it('should build chains, fan-outs, the 3-task sequence and parallel sets', () => {
    expect(depsOf(generateDag({ shape: 'chain', size: 5 }), 4)).toEqual([3]);
    const fanOut = generateDag({ shape: 'fan-out', size: 5 });
    expect([1, 2, 3, 4].map((t) => depsOf(fanOut, t))).toEqual([[0], [0], [0], [0]]);
    expect(generateDag({ shape: 'sequential', size: 99 }).size).toBe(3);
    expect(generateDag({ shape: 'parallel', size: 4 }).depTargets).toHaveLength(0);
  });

  it('should turn a graph into a defineDag spec with the same edges', () => {
    const spec = toDagSpec(generateDag({ shape: 'chain', size: 3 }));
    expect(spec.tasks).toEqual([
      { id: 't0', deps: [], agent: 'noop' },
      { id: 't1', deps: ['t0'], agent: 'noop' },
      { id: 't2', deps: ['t1'], agent: 'noop' },
    ]);
  });
});

describe('Kahn floor', () => {
  const graph = generateDag({ shape: 'layered', size: 2000, layerWidth: 20 });
  const kahn = buildKahnGraph(graph);

  function expectTopological(order: readonly number[]): void {
    expect(order).toHaveLength(graph.size);
    const position = new Map(order.map((task, i) => [task, i]));
    for (let task = 0; task < graph.size; task++) {
      for (const dep of depsOf(graph, task)) expect(position.get(dep)!).toBeLessThan(position.get(task)!);
    }
  }

  it('should run every task once, after its dependencies, synchronously', () => {
    const order: number[] = [];
    expect(runKahnSync(kahn, (task) => order.push(task))).toBe(graph.size);
    expectTopological(order);
  });

  it('should start a task only after its dependencies settled and keep at most the limit running', async () => {
    const order: number[] = [];
    let running = 0;
    let peak = 0;
    await runKahnAsync(
      kahn,
      async (task) => {
        running++;
        peak = Math.max(peak, running);
        order.push(task);
        await new Promise((resolve) => setImmediate(resolve));
        running--;
      },
      8,
    );
    expectTopological(order);
    expect(peak).toBe(8);
  });

  it('should reject with the first task error', async () => {
    await expect(runKahnAsync(kahn, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});
