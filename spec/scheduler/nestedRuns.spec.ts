import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { catchError, filter, lastValueFrom, type Observable, throwError } from 'rxjs';
import {
  type Agent,
  createScheduler,
  type DagEvent,
  type DagSpec,
  fileJournal,
  type Journal,
  resumeRun,
  RunExistsError,
  stoppedForResume,
} from '../../src/index';

/**
 * A run inside an agent, durable with its outer run, as docs/api.md ("Runs inside an agent")
 * shows it: the inner run has an id of the outer attempt's (`idempotencyKey` and attempt), runs
 * on a scheduler of its own, is taken up again when the outer attempt runs again, and is
 * interrupted, not cancelled, when the outer run stops to be resumed: its resume then goes on
 * from where the inner run was, without running again what it had completed.
 */
describe('a durable run inside an agent', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'rxdag-nested-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The agent of the docs' example: runs `inner` for each attempt of its task, durably. */
  const nestedRun =
    (journal: Journal, inner: DagSpec, agents: Record<string, Agent>): Agent =>
    (ctx) => {
      const scheduler = createScheduler({ journal, agents, healthCheckIntervalMs: 0 });
      // the outer run stops to be resumed (a deploy, a worker handing the attempt back): so does this one
      ctx.signal.addEventListener('abort', () => {
        if (stoppedForResume(ctx.signal)) void scheduler.shutdown({ interrupt: true });
      });
      const runId = `${ctx.idempotencyKey}#${ctx.attempt}`;
      const run$: Observable<DagEvent> = scheduler
        .submit(inner, { runId })
        // this attempt ran before (its outer run was resumed): take the inner run up where it was
        .pipe(catchError((error: unknown) => (error instanceof RunExistsError ? scheduler.resume(runId) : throwError(() => error))));
      return lastValueFrom(run$.pipe(filter((event) => event.type === 'dag.completed'))).then((end) => {
        void scheduler.shutdown();
        if (end.outcome !== 'succeeded') throw new Error(`inner run ${runId} ${end.outcome}`);
        return end.counts.completed;
      });
    };

  it('should interrupt the inner run with its outer one, and resume both without running again what either completed', async () => {
    const ran: string[] = [];
    let openGate: () => void = () => {};
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let digestStarted: () => void = () => {};
    const digesting = new Promise<void>((resolve) => (digestStarted = resolve));
    const innerAgents: Record<string, Agent> = {
      fetch: () => void ran.push('fetch'),
      digest: () => (ran.push('digest'), digestStarted(), gate.then(() => 'digested')),
    };
    const inner: DagSpec = {
      id: 'inner',
      tasks: [
        { id: 'fetch', agent: 'fetch' },
        { id: 'digest', agent: 'digest', deps: ['fetch'] },
      ],
    };
    const outer: DagSpec = {
      id: 'outer',
      tasks: [
        { id: 'prep', agent: 'note' },
        { id: 'sub', agent: 'sub', deps: ['prep'] },
        { id: 'publish', agent: 'note', deps: ['sub'] },
      ],
    };
    const outerAgents = (journal: Journal): Record<string, Agent> => ({
      note: ({ id }) => void ran.push(id),
      sub: nestedRun(journal, inner, innerAgents),
    });

    // the first process: stopped (a deploy) while the inner run's `digest` runs
    const first = fileJournal(dir);
    const scheduler = createScheduler({ journal: first, agents: outerAgents(first), healthCheckIntervalMs: 0 });
    const outcome = lastValueFrom(scheduler.submit(outer, { runId: 'outer-1' })).catch((error: unknown) => error);
    await digesting;
    await scheduler.shutdown({ interrupt: true });
    expect(await outcome).toMatchObject({ name: 'RunInterruptedError' });
    const statuses = async (journal: Journal) => Object.fromEntries((await journal.runs()).map((run) => [run.runId, run.status]));
    expect(await statuses(first)).toEqual({ 'outer-1': 'interrupted', 'outer-1/sub#1': 'interrupted' });

    // the next process: the outer run resumed, its `sub` attempt runs again and takes the inner run up
    openGate();
    const second = fileJournal(dir);
    const events = await lastValueFrom(
      resumeRun(second, 'outer-1', { agents: outerAgents(second), healthCheckIntervalMs: 0 }).pipe(
        filter((event) => event.type === 'dag.completed'),
      ),
    );
    expect(events).toMatchObject({ outcome: 'succeeded' });
    expect(await statuses(second)).toEqual({ 'outer-1': 'succeeded', 'outer-1/sub#1': 'succeeded' });
    // `fetch` and `prep` ran once; `digest`, cut by the stop, ran again
    expect(ran).toEqual(['prep', 'fetch', 'digest', 'digest', 'publish']);
  });
});
