import b from 'benny';
import { generateDag } from '../dagGenerator';
import { createExecutor, executorLabel } from '../executors';
import { graphName } from './measure';
import type { BennyCase, BennyResult } from './types';

/**
 * benny suites, one per small graph: how many whole runs per second each executor manages, the
 * build done once outside the timed function. Each suite also writes benny's own JSON (details
 * included) to `spec.folder`.
 */
export async function runBennyCase(spec: BennyCase): Promise<BennyResult> {
  const suites: BennyResult['suites'][number][] = [];
  for (const recipe of spec.graphs) {
    const graph = generateDag(recipe);
    const name = graphName(graph.shape, graph.size);
    const file = `benny-${graph.shape}-${graph.size}`;
    const cases = spec.executors.map((executorSpec) =>
      b.add(executorLabel(executorSpec), () => {
        const runnable = createExecutor(executorSpec).load(graph)();
        return () => runnable.run();
      }),
    );
    const summary = await b.suite(
      `whole runs of ${name} per second`,
      b.configure({ cases: { minTime: spec.minTime, maxTime: spec.maxTime } }),
      ...cases,
      b.cycle(),
      b.complete(),
      b.save({ file, folder: spec.folder, format: 'json', details: true }),
    );
    suites.push({
      name,
      file: `${file}.json`,
      cases: summary.results.map((result) => ({
        name: result.name,
        opsPerSecond: result.ops,
        marginPercent: result.margin,
        samples: result.samples,
      })),
    });
  }
  // benny measures in-process by design; its RSS would mix all cases, so none is reported.
  return { kind: 'benny', executor: 'benny', label: 'benny', suites, peakRssBytes: null };
}
