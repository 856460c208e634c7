import { type DagEvent, type DagSpec, runDag } from '../../src/index';
import { remoteAgent } from '../../src/bullmq/index';
import { eventLogViolations } from '../cli/support/eventLogInvariants';
import { describeRedis } from '../support/redis';
import { byTask, collect, ending, waitFor } from './helpers';
import { type WorkerProcess, workerProcessSuite } from './workerProcess';

jest.setTimeout(60_000);

const LEASE_MS = 1000;

/** Layers of sleep tasks, each task depending on two of the layer before. */
function layered(layers: number, width: number, sleepMs: number): DagSpec {
  const tasks = [];
  for (let layer = 0; layer < layers; layer++) {
    for (let i = 0; i < width; i++) {
      const deps = layer === 0 ? [] : [`L${layer - 1}-${i}`, `L${layer - 1}-${(i + 1) % width}`];
      tasks.push({ id: `L${layer}-${i}`, agent: 'sleep', input: sleepMs, deps });
    }
  }
  return { id: 'layered', tasks };
}

describeRedis('workers in several processes', (env) => {
  let prefix = '';
  const { closer, start: startWorkerProcess } = workerProcessSuite(env, LEASE_MS, (fresh) => (prefix = fresh));

  async function startWorkers(count: number, extraEnv?: Record<string, string>): Promise<WorkerProcess[]> {
    const workers = Array.from({ length: count }, () => startWorkerProcess(extraEnv));
    await waitFor(() => workers.every((worker) => worker.id !== ''), 'the worker processes to be ready', 20_000);
    return workers;
  }

  /** Each task starts only after every one of its dependencies completed. */
  function dependencyViolations(spec: DagSpec, events: readonly DagEvent[]): string[] {
    const completedAt = new Map<string, number>();
    const violations: string[] = [];
    events.forEach((event, index) => {
      if (event.type === 'task.completed') completedAt.set(event.taskId, index);
      if (event.type !== 'task.started') return;
      const deps = spec.tasks.find((task) => task.id === event.taskId)?.deps ?? [];
      for (const dep of deps) if (!completedAt.has(dep)) violations.push(`${event.taskId} started before ${dep} completed`);
    });
    return violations;
  }

  it('should finish a run when a worker is killed with SIGKILL mid-run, its attempts re-run elsewhere', async () => {
    const workers = await startWorkers(3);
    const spec = layered(4, 6, 400);
    const sleep = closer.add(remoteAgent({ connection: env.url, prefix, queue: 'sleep', leaseMs: LEASE_MS }));
    const run = collect(runDag(spec, { agents: { sleep }, maxConcurrency: 12 }));
    const victim = workers[1]!;
    await waitFor(() => victim.started.some((entry) => entry.startsWith('L1-')), 'the victim to start a task of layer 1', 20_000);
    victim.child.kill('SIGKILL');
    await victim.exited;
    const events = await run;

    expect(eventLogViolations(events)).toEqual([]);
    expect(dependencyViolations(spec, events)).toEqual([]);
    expect(ending(events).outcome).toBe('succeeded');
    const completed = [...byTask(events, 'task.completed').values()];
    const ranOn = new Set(completed.map((event) => event.worker));
    expect(ranOn.size).toBeGreaterThan(1);
    expect([...ranOn].every((id) => workers.some((worker) => worker.id === id))).toBe(true);
    // what the victim had started and not finished went to the others, under the same attempt
    const lost = victim.started.filter(
      (entry) => !completed.some((event) => `${event.taskId} ${event.attempt}` === entry && event.worker === victim.id),
    );
    expect(lost.length).toBeGreaterThan(0);
    for (const entry of lost) {
      const [taskId, attempt] = entry.split(' ');
      const done = completed.find((event) => event.taskId === taskId)!;
      expect([done.attempt, done.worker === victim.id]).toEqual([Number(attempt), false]);
    }
    expect(events.filter((event) => event.type === 'task.failed')).toEqual([]);
  });

  it('should fail an attempt with WorkerLostError once its lease lapsed more than maxLeaseLosses times, then retry it', async () => {
    const workers = await startWorkers(2, { RXDAG_FIXTURE_MAX_LEASE_LOSSES: '0', RXDAG_FIXTURE_CONCURRENCY: '1' });
    const sleep = closer.add(remoteAgent({ connection: env.url, prefix, queue: 'sleep', leaseMs: LEASE_MS, maxLeaseLosses: 0 }));
    // long enough to be running when its worker is killed (the kill follows its start line within ms); its retry sleeps as long
    const spec: DagSpec = { id: 'lost', tasks: [{ id: 'long', agent: 'sleep', input: 1500, retry: { attempts: 2, backoffMs: 0 } }] };
    const run = collect(runDag(spec, { agents: { sleep } }));
    await waitFor(() => workers.some((worker) => worker.started.length > 0), 'the attempt to start', 20_000);
    const victim = workers.find((worker) => worker.started.length > 0)!;
    victim.child.kill('SIGKILL');
    const events = await run;
    expect(eventLogViolations(events)).toEqual([]);
    const failed = events.filter((event) => event.type === 'task.failed');
    expect(failed.map((event) => [event.attempt, event.error.name, event.severity, event.willRetry])).toEqual([
      [1, 'WorkerLostError', 'error', true],
    ]);
    const completed = byTask(events, 'task.completed').get('long')!;
    expect([completed.attempt, completed.worker !== victim.id]).toEqual([2, true]);
  });
});
