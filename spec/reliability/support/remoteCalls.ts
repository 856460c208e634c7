import type { DagEvent, TaskContext } from '../../../src';
import type { AgentCall } from './agents';
import { calledTask, scriptOf } from './calledTask';
import type { Resources, TaskModel } from './model';
import type { RunRecord } from './observation';
import { playRemote } from './remoteAgents';
import { checkUpstream } from './upstreamCheck';

/**
 * The worker side of a remote scenario: each attempt a worker runs is recorded (who ran it, when
 * it was called and when its work ended, whether its signal stopped it), checked as it starts
 * (its task, its kind, its `upstream`) and played by `remoteAgents.ts`. The units workers hold
 * (of weight, and of each limit) are counted only while the scheduler still counts the attempt
 * as running (from `task.started` to its `task.completed`, `task.failed` or `task.cancelled`):
 * an attempt the scheduler gave up on (timed out, cancelled) may go on for up to a lease period
 * on its worker until the cancel reaches it, and is judged on that instead (`remoteInvariants.ts`).
 */

/** One attempt run on a worker. */
export interface RemoteCall extends AgentCall {
  /** The worker that ran it (`w1`, `w2`). */
  readonly worker: string;
}

/** `run/task#attempt`, the key of an attempt. */
export const attemptKey = (runId: string, taskId: string, attempt: number): string => `${runId}/${taskId}#${attempt}`;

export class WorkerCalls {
  readonly calls: RemoteCall[] = [];
  // attempts the scheduler counts as running, with their worker call once it came
  private readonly open = new Map<string, RemoteCall | undefined>();
  // calls whose units are counted now
  private readonly holding = new Set<RemoteCall>();
  private liveTotal = 0;
  private readonly liveByKind = new Map<string, number>();
  private readonly liveByLimit = new Map<string, number>();

  constructor(
    private readonly runs: ReadonlyMap<string, RunRecord>,
    private readonly resources: Resources,
    private readonly contextInjection: boolean,
    private readonly faultRate: number,
    private readonly violation: (message: string) => void,
  ) {}

  /** Calls on workers whose work has not ended. */
  get live(): number {
    return this.calls.filter((call) => call.endedAt === undefined).length;
  }

  /** Follows the scheduler's view of running attempts. */
  onEvent(event: DagEvent): void {
    if (!('taskId' in event)) return;
    const key = attemptKey(event.runId, event.taskId, event.attempt);
    if (event.type === 'task.started') this.open.set(key, undefined);
    else if (event.type === 'task.completed' || event.type === 'task.failed' || event.type === 'task.cancelled') {
      const call = this.open.get(key);
      this.open.delete(key);
      if (call !== undefined) this.release(call);
    }
  }

  /** What the agent of `kind` does on `worker` for one attempt. */
  call(kind: string, ctx: TaskContext, worker: string): unknown {
    const called = calledTask(this.runs, kind, `queue ${kind} on worker ${worker}`, ctx, Date.now(), this.violation);
    if (called === undefined) return 1;
    const { run, task } = called;
    const call: RemoteCall = { ...called.call, worker };
    this.calls.push(call);
    const key = attemptKey(ctx.runId, ctx.id, ctx.attempt);
    if (this.open.has(key) && this.open.get(key) === undefined) {
      this.open.set(key, call);
      this.hold(call);
    }
    this.checkUpstream(run, task, ctx);
    const { behaviour, bad } = scriptOf(called, kind, ctx, this.resources, this.faultRate);
    return playRemote(call, ctx, behaviour, bad, (ended) => {
      ended.endedAt = Date.now();
      this.release(ended as RemoteCall);
    });
  }

  private hold(call: RemoteCall): void {
    const { maxConcurrency, kinds, limits } = this.resources;
    this.holding.add(call);
    this.liveTotal += call.units;
    this.liveByKind.set(call.kind, (this.liveByKind.get(call.kind) ?? 0) + call.units);
    if (this.liveTotal > maxConcurrency)
      this.violation(`workers run attempts holding ${this.liveTotal} units, maxConcurrency is ${maxConcurrency}`);
    const capacity = kinds[Number(call.kind.slice(1))]?.capacity;
    if (capacity !== undefined && this.liveByKind.get(call.kind)! > capacity)
      this.violation(
        `workers run attempts of kind ${call.kind} holding ${this.liveByKind.get(call.kind)} units, its capacity is ${capacity}`,
      );
    for (const [name, units] of call.limits) {
      this.liveByLimit.set(name, (this.liveByLimit.get(name) ?? 0) + units);
      const concurrency = limits.get(name)?.concurrency;
      if (concurrency !== undefined && this.liveByLimit.get(name)! > concurrency)
        this.violation(
          `workers run attempts under limit ${JSON.stringify(name)} holding ${this.liveByLimit.get(name)} units, its concurrency is ${concurrency}`,
        );
    }
  }

  private release(call: RemoteCall): void {
    if (!this.holding.delete(call)) return;
    this.liveTotal -= call.units;
    this.liveByKind.set(call.kind, this.liveByKind.get(call.kind)! - call.units);
    for (const [name, units] of call.limits) this.liveByLimit.set(name, this.liveByLimit.get(name)! - units);
  }

  /** `upstream` on the worker: exactly the outputs of the task's completed dependencies, after their trip through Redis. */
  private checkUpstream(run: RunRecord, task: TaskModel, ctx: TaskContext): void {
    checkUpstream(ctx.upstream, run, task, this.contextInjection, `${run.runId}/${task.id}#${ctx.attempt} on the worker`, (message) => this.violation(message));
  }
}
