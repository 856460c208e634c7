import { writeFileSync } from 'node:fs';
import type { DagEvent } from '../../../src/index';
import { describeRedis } from '../../support/redis';
import { printedRunId, SPEC_STORE, startCli } from '../support/builtCli';
import { eventLogViolations } from '../support/eventLogInvariants';
import { readEventLog } from '../support/files';
import { journalEvents } from '../support/journaledRuns';
import { linesOf, remoteCliSuite, waitFor } from './workerProcesses';

/**
 * `rxdag run --redis` against real `rxdag worker` processes: a worker killed with SIGKILL
 * mid-run, then the scheduler killed with SIGKILL and resumed with `rxdag resume --redis` while
 * the workers go on. Each run is judged from its events log: every invariant of an events log,
 * dependencies first, one completion per task, and tasks spread over several workers.
 */
jest.setTimeout(90_000);

const LEASE_MS = '1000';

/** Layers of shell tasks, each depending on two of the layer before; every start appends `task attempt worker-pid` to `starts`. */
function layeredDag(file: string, starts: string, layers: number, width: number): Record<string, string[]> {
  const deps: Record<string, string[]> = {};
  const tasks = [];
  for (let layer = 0; layer < layers; layer++) {
    for (let i = 0; i < width; i++) {
      const id = `L${layer}-${i}`;
      deps[id] = layer === 0 ? [] : [`L${layer - 1}-${i}`, `L${layer - 1}-${(i + 1) % width}`];
      tasks.push({ id, deps: deps[id], run: `echo "$RXDAG_TASK_ID $RXDAG_ATTEMPT $PPID" >> '${starts}'; sleep 0.4` });
    }
  }
  writeFileSync(file, JSON.stringify({ id: 'layered', tasks }));
  return deps;
}

/** Tasks that started before one of their dependencies completed. */
function dependencyViolations(deps: Record<string, string[]>, events: readonly DagEvent[]): string[] {
  const completed = new Set<string>();
  const violations: string[] = [];
  for (const event of events) {
    if (event.type === 'task.completed') completed.add(event.taskId);
    if (event.type === 'task.started')
      for (const dep of deps[event.taskId] ?? []) if (!completed.has(dep)) violations.push(`${event.taskId} before ${dep}`);
  }
  return violations;
}

/** How many `task.completed` each task has. */
function completions(events: readonly DagEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) if (event.type === 'task.completed') counts.set(event.taskId, (counts.get(event.taskId) ?? 0) + 1);
  return counts;
}

function completedEvents(events: readonly DagEvent[]) {
  return events.flatMap((event) => (event.type === 'task.completed' ? [event] : []));
}

describeRedis('rxdag run --redis with rxdag worker processes', (env) => {
  let prefix = '';
  const { tmp, fleet } = remoteCliSuite(env, (fresh) => (prefix = fresh));

  const startWorkers = (count: number) =>
    Promise.all(Array.from({ length: count }, () => fleet.start(env.url, prefix, ['--lease-ms', LEASE_MS, '-c', '2'])));

  it('should say when no worker is connected to its queues, wait for one, and say nothing once one is', async () => {
    const dagFile = tmp.file('lone.yaml');
    writeFileSync(dagFile, 'id: lone\ntasks:\n  - id: only\n    run: echo done\n');
    const hint = `rxdag: no worker is connected to these queues yet: attempts wait in Redis until one starts (rxdag worker --redis URL --redis-prefix ${prefix})`;
    const alone = fleet.track(startCli(['run', dagFile, '--redis', env.url, '--redis-prefix', prefix, '--no-journal', '-q']));
    await waitFor(() => alone.stderrSoFar().includes(hint), 'the hint', 30_000);
    await startWorkers(1);
    expect(await alone.done).toMatchObject({ code: 0 });

    const served = await fleet.track(startCli(['run', dagFile, '--redis', env.url, '--redis-prefix', prefix, '--no-journal', '-q'])).done;
    expect(served.code).toBe(0);
    expect(served.stderr).toContain('rxdag: attempts run on rxdag workers through Redis');
    expect(served.stderr).not.toContain('no worker is connected');
  }, 60_000);

  it('should finish a run when a worker is killed with SIGKILL mid-run: its attempts run elsewhere, no task counted twice', async () => {
    const [dagFile, starts, log] = [tmp.file('kill-worker.json'), tmp.file('kill-worker.starts'), tmp.file('kill-worker.jsonl')];
    const deps = layeredDag(dagFile, starts, 4, 6);
    const workers = await startWorkers(3);
    const run = fleet.track(startCli(['run', dagFile, '--redis', env.url, '--redis-prefix', prefix, '-c', '12', '--events', log]));
    const victim = workers[1]!;
    const startedOnVictim = () => linesOf(starts).filter((line) => line.endsWith(` ${victim.child.pid}`));
    await waitFor(() => startedOnVictim().some((line) => line.startsWith('L1-')), 'the victim to start a task of layer 1', 30_000);
    victim.child.kill('SIGKILL');
    const result = await run.done;

    expect(result.code).toBe(0);
    const events = readEventLog(log);
    expect(eventLogViolations(events)).toEqual([]);
    expect(dependencyViolations(deps, events)).toEqual([]);
    expect([...completions(events).values()]).toEqual(Array(24).fill(1));
    expect(events.filter((event) => event.type === 'task.failed')).toEqual([]);
    expect(events[events.length - 1]).toMatchObject({ outcome: 'succeeded', counts: { total: 24, completed: 24 } });
    const completed = completedEvents(events);
    const ranOn = new Set(completed.map((event) => event.worker));
    expect(ranOn.size).toBeGreaterThan(1);
    expect([...ranOn].every((id) => workers.some((worker) => worker.id === id))).toBe(true);
    // what the victim had started and not reported went to another worker, under the same attempt
    const lost = startedOnVictim().filter((line) => {
      const [taskId, attempt] = line.split(' ');
      return !completed.some((event) => event.taskId === taskId && String(event.attempt) === attempt && event.worker === victim.id);
    });
    expect(lost.length).toBeGreaterThan(0);
    for (const line of lost) {
      const [taskId, attempt] = line.split(' ');
      const done = completed.find((event) => event.taskId === taskId)!;
      expect([String(done.attempt), done.worker === victim.id]).toEqual([attempt, false]);
      // and the run said that it ran again elsewhere, which its events do not tell
      expect(result.stderr).toContain(
        `rxdag: task ${taskId} #${attempt}: its worker stopped renewing its lease (it died, or lost Redis): it runs again on another worker`,
      );
    }
    // the output says which worker ran each task
    expect(result.stdout).toMatch(/task\.completed L0-0 #1 in \d+ ms on worker \S+:\d+\n/);
  });

  it('should resume a run whose scheduler was killed with SIGKILL while the workers go on, each task completed once', async () => {
    const [dagFile, starts, firstLog, resumedLog] = ['resume.json', 'resume.starts', 'first.jsonl', 'resumed.jsonl'].map((name) =>
      tmp.file(name),
    );
    const deps = layeredDag(dagFile!, starts!, 4, 6);
    const workers = await startWorkers(3);
    const remote = ['--redis', env.url, '--redis-prefix', prefix];
    const first = fleet.track(startCli(['run', dagFile!, ...remote, '-c', '12', '--events', firstLog!]));
    await first.waitForStdout(/task\.completed L1-/, 30_000);
    first.child.kill('SIGKILL');
    // every start from here on is one after the kill (those written meanwhile are not checked below)
    const startsBeforeKill = linesOf(starts!).length;
    await first.done;
    const runId = printedRunId(first.stderrSoFar());
    expect(runId).toBeDefined();
    // what the journal held when the scheduler died, read before the resume appends to it
    const completedBeforeKill = new Set(
      journalEvents(SPEC_STORE, runId!).flatMap((event) => (event.type === 'task.completed' ? [event.taskId] : [])),
    );
    expect(completedBeforeKill.size).toBeGreaterThan(0);
    // the command the run printed to resume it, as a user would copy it: it names the same Redis and prefix
    const hint = /resume with: rxdag (resume .*)\)$/m.exec(first.stderrSoFar())?.[1]?.split(' ');
    expect(hint).toEqual(['resume', runId, '--redis', expect.stringMatching(/^redis:\/\/127\.0\.0\.1:6379/), '--redis-prefix', prefix]);

    const resumed = await fleet.track(startCli([...hint!, '--events', resumedLog!])).done;
    expect(resumed.code).toBe(0);
    // no task whose completion was journaled before the kill ran again on a worker after it (the
    // remaining layers did run after it, so the check is not of an empty list)
    const startedAfterKill = linesOf(starts!).slice(startsBeforeKill);
    expect(startedAfterKill.length).toBeGreaterThan(0);
    expect(startedAfterKill.filter((line) => completedBeforeKill.has(line.split(' ')[0]!))).toEqual([]);
    const events = readEventLog(resumedLog!);
    expect(eventLogViolations(events)).toEqual([]);
    expect(dependencyViolations(deps, events)).toEqual([]);
    expect(events.filter((event) => event.type === 'run.resumed')).toHaveLength(1);
    expect([...completions(events).values()]).toEqual(Array(24).fill(1));
    expect(events[events.length - 1]).toMatchObject({ outcome: 'succeeded', counts: { total: 24, completed: 24 } });
    const ranOn = new Set(completedEvents(events).map((event) => event.worker));
    expect(ranOn.size).toBeGreaterThan(1);
    expect([...ranOn].every((id) => workers.some((worker) => worker.id === id))).toBe(true);
    expect(resumed.stderr).toContain(`(queues shell, sleep, prefix ${prefix}; jobs unsigned (no key))`);
    // the workers stayed up through it all
    expect(workers.every((worker) => worker.child.exitCode === null)).toBe(true);
  });
});
