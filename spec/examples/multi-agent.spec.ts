import { FakeLlm, runTwoTopics } from '../../examples/multi-agent';
import type { DagEvent } from '../../src';

/** Most attempts of each agent kind running at once, over all runs, from the event log. */
function peakByAgent(events: readonly DagEvent[]): Record<string, number> {
  const agentOf = new Map<string, string>();
  const running: Record<string, number> = {};
  const peak: Record<string, number> = {};
  for (const e of events) {
    if (e.type === 'task.started') {
      agentOf.set(`${e.runId}/${e.taskId}`, e.agent);
      running[e.agent] = (running[e.agent] ?? 0) + 1;
      peak[e.agent] = Math.max(peak[e.agent] ?? 0, running[e.agent]!);
    } else if (e.type === 'task.completed' || e.type === 'task.failed' || e.type === 'task.cancelled') {
      const agent = agentOf.get(`${e.runId}/${e.taskId}`);
      if (agent !== undefined && (e.type !== 'task.cancelled' || running[agent]! > 0)) running[agent]!--;
    }
  }
  return peak;
}

describe('examples/multi-agent', () => {
  it('should run two research DAGs on one scheduler within each agent kind capacity', async () => {
    const clientsBefore = FakeLlm.created;
    const events = await runTwoTopics();
    const ends = events.filter((e) => e.type === 'dag.completed');
    expect(ends.map((e) => [e.runId, e.type === 'dag.completed' && e.outcome]).sort()).toEqual([
      ['graph scheduling', 'succeeded'],
      ['reactive streams', 'succeeded'],
    ]);
    expect(peakByAgent(events)).toEqual({ llm: 2, search: 3 });
    expect(FakeLlm.created - clientsBefore).toBeLessThanOrEqual(2);
    const spawned = events.filter((e) => e.type === 'tasks.spawned');
    expect(spawned).toHaveLength(2);
    // each run's draft starts only after its three spawned searches completed
    for (const runId of ['graph scheduling', 'reactive streams']) {
      const ofRun = events.filter((e) => e.runId === runId);
      const draftStart = ofRun.findIndex((e) => e.type === 'task.started' && e.taskId === 'draft');
      const searchesDone = ofRun.filter((e, k) => e.type === 'task.completed' && e.taskId.startsWith('search-') && k < draftStart);
      expect(searchesDone).toHaveLength(3);
    }
  });
});
