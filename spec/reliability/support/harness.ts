import { type Observable, type Subscription, take } from 'rxjs';
import {
  type AgentDefinition,
  createScheduler,
  type Dag,
  type DagEvent,
  type DagRun,
  defineAgent,
  defineDag,
  type FailurePolicy,
  isTerminalEvent,
  runDag,
  type Scheduler,
  type SchedulerOptions,
  type TaskContext,
} from '../../../src';
import { type AgentCall, type AgentStage, play } from './agents';
import { calledTask, scriptOf } from './calledTask';
import {
  behaviourOf,
  buildDag,
  type DagModel,
  kindName,
  limitModels,
  mayHang,
  type Resources,
  schedulerOptionsOf,
  type TaskModel,
  workBound,
} from './model';
import { type Observation, type RunRecord, totals } from './observation';
import { LimitPauses } from './limitPauses';
import { hintOfFailure } from './retryHints';
import { checkUpstream } from './upstreamCheck';
import type { CancelGen, KindGen, MultiScenario, SingleScenario } from './scenario';
import { tagLibraryWork, testScheduler } from '../../support/virtualTime';

/**
 * Runs a generated scenario inside `TestScheduler.run()` and records what happened: every event
 * (per run and in global order), every agent call and when its work ended, the runs' subscribers,
 * scheduler snapshots, and what was left scheduled or subscribed afterwards. The invariants are
 * checked on this record (see `invariants.ts`); problems only the harness can see while the run
 * goes on (agents running beyond a limit, wrong upstream) are collected in `violations`.
 */

const MAX_VIOLATIONS = 40;

/** One run of a scenario, before it is submitted. */
export interface PlannedRun {
  readonly runId: string;
  readonly model: DagModel;
  /** Runs of a multi scenario share their DAG objects (and indexes); a single run submits the spec. */
  readonly submitted: Dag | DagModel['spec'];
  readonly dag: Dag;
  readonly submitAt: number;
  readonly failurePolicy: FailurePolicy | undefined;
  readonly cancel: CancelGen;
}

/** The runs of a scenario: each one's DAG model, what it submits, when, and how it is cancelled. */
export function planRuns(scenario: SingleScenario | MultiScenario, resources: Resources): PlannedRun[] {
  const { faultRate } = scenario;
  const planned: PlannedRun[] = [];
  if ('runs' in scenario) {
    const dags = scenario.dags.map((gen, i) => buildDag(gen, `dag${i}`, resources, faultRate));
    const defined = dags.map((model) => defineDag(model.spec));
    scenario.runs.forEach((run, i) => {
      const d = run.dag % dags.length;
      planned.push({
        runId: `r${i}`,
        model: dags[d]!,
        submitted: defined[d]!,
        dag: defined[d]!,
        submitAt: run.submitAt,
        failurePolicy: run.failurePolicy,
        cancel: run.cancel,
      });
    });
  } else {
    const model = buildDag(scenario.dag, 'dag0', resources, faultRate);
    planned.push({
      runId: 'r0',
      model,
      submitted: model.spec,
      dag: defineDag(model.spec),
      submitAt: 0,
      failurePolicy: undefined,
      cancel: scenario.cancel,
    });
  }
  return planned;
}

/** A planned run's record, before anything happened. */
/** What both harnesses make of a scenario before anything runs: its limits, its runs planned and recorded, its kinds by name. */
export function prepareScenario(scenario: SingleScenario | MultiScenario) {
  const multi = 'runs' in scenario;
  const { options, kinds: kindGens, faultRate } = scenario;
  const limits = limitModels(scenario.limits);
  const resources: Resources = { maxConcurrency: options.maxConcurrency, kinds: kindGens, limits };
  const planned = planRuns(scenario, resources);
  const api: Observation['api'] = multi ? 'scheduler' : scenario.api;
  const kinds = new Map<string, KindGen>(kindGens.map((k, i) => [kindName(kindGens, i), k]));
  const records: RunRecord[] = planned.map((plan) => newRecord(plan, options.failurePolicy));
  const byId = new Map(records.map((r) => [r.runId, r]));
  return { options, faultRate, limits, resources, planned, api, kinds, records, byId };
}

/** An observation before anything was seen. */
export function freshObservation<Call extends AgentCall>(
  given: Pick<Observation, 'options' | 'kinds' | 'limits' | 'runs' | 'violations' | 'api'> & { readonly calls: Call[] },
): Observation & { readonly calls: Call[] } {
  return {
    ...given,
    global: [],
    pendingAtEnd: undefined,
    pendingAfterIdle: undefined,
    actionsLeft: 0,
    openSubscriptions: 0,
    instancesCreated: 0,
    instancesDisposed: 0,
    lastSnapshot: undefined,
    deadline: 0,
    shutdownAt: undefined,
  };
}

export function newRecord(plan: PlannedRun, failurePolicy: FailurePolicy): RunRecord {
  return {
    runId: plan.runId,
    dagId: plan.model.id,
    dag: plan.dag,
    tasks: new Map([...plan.model.tasks].map(([id, t]) => [id, { ...t, deps: new Set(t.deps) }])),
    initialTaskCount: plan.model.tasks.size,
    failurePolicy: plan.failurePolicy ?? failurePolicy,
    submittedAt: plan.submitAt,
    events: [],
    delivered: [],
    outputs: new Map(),
    pendingSpawns: new Map(),
    subscriberCompleted: false,
    subscriberError: undefined,
    subscription: undefined,
    cancelRequestedAt: undefined,
    cancelledBy: undefined,
    eventsAtCancel: 0,
    refused: false,
    endedAt: undefined,
    lastState: undefined,
    started: false,
  };
}

/** Runs one generated scenario to its end in virtual time. */
export async function execute(scenario: SingleScenario | MultiScenario): Promise<Observation> {
  const ts = testScheduler();
  const library = tagLibraryWork(ts);
  const scheduler = library.scheduler;
  const multi = 'runs' in scenario;
  const { options, faultRate, limits, resources, planned, api, kinds, records, byId } = prepareScenario(scenario);
  const forcedShutdown = multi && scenario.shutdown?.force === true ? scenario.shutdown.at : undefined;

  const observation = freshObservation({ options, kinds, limits, runs: records, calls: [], violations: [], api });
  const violation = (message: string) => {
    if (observation.violations.length < MAX_VIOLATIONS) observation.violations.push(`t=${ts.now()}: ${message}`);
  };

  // agents: live work (units of weight, and of each limit) per kind and per limit, checked against the ceilings at every call
  let liveCalls = 0;
  let liveTotal = 0;
  const liveByKind = new Map<string, number>();
  const liveByLimit = new Map<string, number>();
  const stage: AgentStage = {
    scheduler: ts,
    cold: (marbles, values, error) => ts.createColdObservable(marbles, values, error),
    ended: (call) => {
      if (call.endedAt !== undefined) return;
      call.endedAt = ts.now();
      liveCalls--;
      liveTotal -= call.units;
      liveByKind.set(call.kind, liveByKind.get(call.kind)! - call.units);
      for (const [name, units] of call.limits) liveByLimit.set(name, liveByLimit.get(name)! - units);
    },
  };

  const callAgent = (kind: string, ctx: TaskContext): unknown => {
    const called = calledTask(byId, kind, `agent ${JSON.stringify(kind)}`, ctx, ts.now(), violation);
    if (called === undefined) return 1;
    const { run, task, call } = called;
    observation.calls.push(call);
    liveCalls++;
    liveTotal += call.units;
    liveByKind.set(kind, (liveByKind.get(kind) ?? 0) + call.units);
    if (liveTotal > options.maxConcurrency)
      violation(`agents running at once hold ${liveTotal} units, maxConcurrency is ${options.maxConcurrency}`);
    const capacity = kinds.get(kind)?.capacity;
    if (capacity !== undefined && liveByKind.get(kind)! > capacity)
      violation(`agents of kind ${kind} running at once hold ${liveByKind.get(kind)} units, capacity is ${capacity}`);
    for (const [name, units] of call.limits) {
      liveByLimit.set(name, (liveByLimit.get(name) ?? 0) + units);
      const concurrency = limits.get(name)?.concurrency;
      if (concurrency !== undefined && liveByLimit.get(name)! > concurrency)
        violation(
          `agents under limit ${JSON.stringify(name)} hold ${liveByLimit.get(name)} units at once, its concurrency is ${concurrency}`,
        );
    }
    checkUpstreamOf(run, task, ctx);
    const { behaviour, bad } = scriptOf(called, kind, ctx, resources, faultRate);
    return play(stage, call, ctx, behaviour, bad);
  };

  const checkUpstreamOf = (run: RunRecord, task: TaskModel, ctx: TaskContext) =>
    checkUpstream(ctx.upstream, run, task, options.contextInjection, `${run.runId}/${task.id}`, violation);

  let instanceSerial = 0;
  const agents: Record<string, AgentDefinition> = {};
  for (const [name, kind] of kinds) {
    if (!kind.pooled && kind.capacity === undefined) {
      agents[name] = (ctx: TaskContext) => callAgent(name, ctx);
      continue;
    }
    interface Instance {
      readonly serial: number;
      disposed: boolean;
    }
    // no instance for a kind that is not pooled
    agents[name] = defineAgent<Instance | undefined>({
      ...(kind.capacity === undefined ? {} : { capacity: kind.capacity }),
      idleMs: kind.idleMs,
      ...(kind.pooled
        ? {
            create: () => {
              observation.instancesCreated++;
              return { serial: ++instanceSerial, disposed: false };
            },
            dispose: (instance: Instance) => {
              if (instance.disposed) violation(`instance ${instance.serial} of ${name} disposed twice`);
              instance.disposed = true;
              observation.instancesDisposed++;
            },
          }
        : {}),
      run: (ctx, instance) => {
        if (kind.pooled && (instance === undefined || instance.disposed))
          violation(`${ctx.runId}/${ctx.id} ran on a ${instance === undefined ? 'missing' : 'disposed'} instance of ${name}`);
        return callAgent(name, ctx);
      },
    });
  }

  // events
  const queuedAt = new Map<string, number>(); // run/task -> when it was last queued (ready or retrying)
  const onEvent = (event: DagEvent) => {
    const run = byId.get(event.runId);
    if (run === undefined) {
      violation(`event for unknown run ${event.runId}`);
      return;
    }
    if (event.at !== ts.now()) violation(`${run.runId} seq ${event.seq} ${event.type} has at=${event.at}, emitted at ${ts.now()}`);
    if (run.endedAt !== undefined) violation(`${run.runId} emitted ${event.type} after dag.completed`);
    recordEvent(observation, run, event, queuedAt, ts.now(), violation);
    if (event.type === 'dag.completed') whenAllDone();
  };

  // the scheduler(s)
  const schedulerOptions = { scheduler, agents, ...schedulerOptionsOf(options, limits) };
  let shared: Scheduler | undefined;
  let shutdownPromise: Promise<void> | undefined;
  let submittedCount = 0;

  const subscribeRun = (record: RunRecord, plan: PlannedRun, run$: DagRun) => {
    const consumer: Observable<DagEvent> = plan.cancel.afterEvents === undefined ? run$ : run$.pipe(take(plan.cancel.afterEvents));
    record.started = true;
    record.subscription = consumer.subscribe({
      next: (event) => {
        record.delivered.push(event);
        if (
          plan.cancel.afterEvents !== undefined &&
          record.delivered.length === plan.cancel.afterEvents &&
          event.type !== 'dag.completed'
        ) {
          record.cancelRequestedAt = ts.now();
          record.cancelledBy = 'events';
          record.eventsAtCancel = record.delivered.length; // the bus sees this event just after the subscriber
        }
      },
      complete: () => (record.subscriberCompleted = true),
      error: (error: unknown) => {
        record.subscriberError = error;
        if (error instanceof Error && /shut down/.test(error.message)) {
          record.refused = true;
          whenAllDone();
        }
      },
    });
  };

  let deadlineAction: Subscription | undefined;
  let allDoneChecked = false;
  const whenAllDone = () => {
    if (allDoneChecked || submittedCount < records.length) return;
    if (!records.every((r) => r.refused || r.endedAt !== undefined || r.subscriberError !== undefined)) return;
    allDoneChecked = true;
    ts.schedule(() => {
      observation.pendingAtEnd = library.pendingActions();
      if (shared !== undefined) shutdownPromise ??= shared.shutdown();
    }, 0);
    const maxIdle = Math.max(0, ...scenario.kinds.map((k) => k.idleMs));
    ts.schedule(() => {
      observation.pendingAfterIdle = library.pendingActions();
      deadlineAction?.unsubscribe();
    }, maxIdle + 1);
  };

  // a run that can hang by design is cancelled; a bound on the work makes the liveness deadline
  const cancelAt = planned.map((plan) => {
    const hangs = [...plan.model.tasks.values()].some((t) => mayHang(t, options.taskTimeoutMs));
    const at = plan.cancel.atTime ?? (hangs && forcedShutdown === undefined ? 200 : undefined);
    return at === undefined ? undefined : plan.submitAt + at;
  });
  const work = planned.reduce(
    (sum, plan) => sum + [...plan.model.tasks.values()].reduce((s, t) => s + workBound(t, options.taskTimeoutMs, options, resources), 0),
    0,
  );
  const latestStart = Math.max(
    0,
    ...planned.map((p) => p.submitAt),
    ...cancelAt.map((c) => c ?? 0),
    multi ? (scenario.shutdown?.at ?? 0) : 0,
  );
  const deadline = latestStart + work + 100 + (options.mode === 'polling' ? 10 * options.pollIntervalMs : 0);
  observation.deadline = deadline;

  try {
    ts.run(() => stageRuns());
  } catch (error) {
    violation(
      `an error escaped the scheduler into the TestScheduler: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
  }
  function stageRuns(): void {
    ts.maxFrames = deadline + 10_000; // a timer that keeps rescheduling itself is left in `actions`, not run forever
    if (api === 'scheduler') shared = observedScheduler(schedulerOptions, onEvent, observation, byId, violation);
    planned.forEach((plan, i) => {
      const record = records[i]!;
      const submit = () => {
        submittedCount++;
        subscribeRun(record, plan, submitPlanned(plan, shared, schedulerOptions, onEvent));
        whenAllDone();
      };
      if (plan.submitAt === 0) submit();
      else ts.schedule(submit, plan.submitAt);
      const at = cancelAt[i];
      if (at !== undefined) {
        ts.schedule(() => {
          if (record.started && record.endedAt === undefined && record.cancelRequestedAt === undefined && !record.refused) {
            record.cancelRequestedAt = ts.now();
            record.cancelledBy = 'time';
            record.eventsAtCancel = record.events.length;
          }
          record.subscription?.unsubscribe();
        }, at);
      }
    });
    if (multi && scenario.shutdown !== undefined) {
      const { at, force } = scenario.shutdown;
      ts.schedule(() => {
        observation.shutdownAt = ts.now();
        if (force) {
          for (const record of records) {
            if (record.started && record.endedAt === undefined && record.cancelRequestedAt === undefined && !record.refused) {
              record.cancelRequestedAt = ts.now();
              record.cancelledBy = 'shutdown';
              record.eventsAtCancel = record.events.length;
            }
          }
        }
        shutdownPromise = shared!.shutdown({ force });
      }, at);
    }
    deadlineAction = ts.schedule(() => {
      for (const record of records) {
        if (record.refused || record.endedAt !== undefined) continue;
        violation(`liveness: run ${record.runId} has not ended by t=${deadline}, a bound on all its work (submitted: ${record.started})`);
        if (record.cancelRequestedAt === undefined) {
          record.cancelRequestedAt = ts.now();
          record.cancelledBy = 'deadline';
          record.eventsAtCancel = record.events.length;
        }
        record.subscription?.unsubscribe();
      }
      if (shared !== undefined) shutdownPromise = shared.shutdown({ force: true });
    }, deadline);
  }

  observation.actionsLeft = ts.actions.length;
  for (const action of [...ts.actions]) action.unsubscribe();
  if (shutdownPromise !== undefined) await shutdownPromise;
  for (const cold of ts.coldObservables) {
    observation.openSubscriptions += cold.subscriptions.filter((log) => log.unsubscribedFrame === Number.POSITIVE_INFINITY).length;
  }
  if (liveCalls !== 0) violation(`${liveCalls} agent attempts still running after the run`);
  return observation;
}

/**
 * A long-lived scheduler whose events go to `onEvent` and whose `state$` is folded into the
 * observation (the last snapshot, each run's last state; an unknown run is a violation).
 */
export function observedScheduler(
  options: SchedulerOptions,
  onEvent: (event: DagEvent) => void,
  observation: Observation,
  byId: ReadonlyMap<string, RunRecord>,
  violation: (message: string) => void,
): Scheduler {
  const scheduler = createScheduler(options);
  scheduler.events$.subscribe(onEvent);
  scheduler.state$.subscribe((snapshot) => {
    observation.lastSnapshot = snapshot;
    for (const [runId, state] of snapshot.runs) {
      const record = byId.get(runId);
      if (record === undefined) violation(`state$ shows unknown run ${runId}`);
      else record.lastState = state;
    }
  });
  return scheduler;
}

/**
 * Submits a planned run: to `shared` when there is a long-lived scheduler (its events reach
 * `onEvent` through the scheduler), else through `runDag` (its events sent to `onEvent` here).
 */
export function submitPlanned(
  plan: PlannedRun,
  shared: Scheduler | undefined,
  options: SchedulerOptions,
  onEvent: (event: DagEvent) => void,
): DagRun {
  if (shared === undefined) {
    const run$ = runDag(plan.submitted, { ...options, runId: plan.runId });
    run$.events$.subscribe(onEvent);
    return run$;
  }
  return shared.submit(plan.submitted, {
    runId: plan.runId,
    ...(plan.failurePolicy === undefined ? {} : { failurePolicy: plan.failurePolicy }),
  });
}

/** The pauses of each observation's limits so far, for the totals only. */
const pausesSeen = new WeakMap<Observation, LimitPauses>();

/**
 * Records one event of a run: in the run's log and the global one, in the totals, and in the
 * run's model (outputs for the upstream check, spawned tasks joining the DAG). `queuedAt` holds
 * when each `run/task` was last queued (ready or retrying); `now` is when the event was seen.
 */
export function recordEvent(
  observation: Observation,
  run: RunRecord,
  event: DagEvent,
  queuedAt: Map<string, number>,
  now: number,
  violation: (message: string) => void,
): void {
  run.events.push(event);
  observation.global.push(event);
  totals.events++;
  let pauses = pausesSeen.get(observation);
  if (pauses === undefined) pausesSeen.set(observation, (pauses = new LimitPauses()));
  switch (event.type) {
    case 'task.started': {
      const task = run.tasks.get(event.taskId);
      if (task !== undefined && task.limits.length > 0) totals.limitedStarts++;
      if (task?.ownUnits !== undefined && task.limits.length > 0) totals.unitStarts++;
      if (task !== undefined && task.weight > 1) totals.heavyStarts++;
      if (task?.when !== undefined) totals.ruleStarts++;
      const queued = queuedAt.get(`${run.runId}/${event.taskId}`);
      if (queued !== undefined && queued < event.at && task !== undefined && task.limits.length > 0) {
        totals.limitedWaits++;
        if (task.limits.some((name) => (pauses.lastEnd(name) ?? Number.NEGATIVE_INFINITY) > queued)) totals.pausedStarts++;
      }
      break;
    }
    case 'task.failed': {
      const task = run.tasks.get(event.taskId);
      if (task === undefined) break;
      const hint = hintOfFailure(behaviourOf(task, event.attempt), event);
      if (hint.noRetry && !event.willRetry && event.severity === 'error' && event.attempt < task.retry.attempts) totals.askedNoRetry++;
      if (event.retryAfterMs !== undefined) totals.askedWaits++;
      if (pauses.failed(task, event) !== undefined) totals.pauses++;
      break;
    }
    case 'task.ready':
    case 'task.retrying':
      queuedAt.set(`${run.runId}/${event.taskId}`, event.at);
      break;
    case 'task.skipped':
      if (run.tasks.get(event.taskId)?.when !== undefined) totals.ruleSkips++;
      break;
    case 'task.completed':
      if (event.output !== undefined) run.outputs.set(event.taskId, event.output);
      break;
    case 'tasks.spawned': {
      const key = `${event.taskId}#${event.attempt}`;
      const models = run.pendingSpawns.get(key);
      if (models === undefined) {
        violation(`${run.runId}: tasks.spawned by ${key}, which asked for no spawn`);
        break;
      }
      run.pendingSpawns.delete(key);
      const ids = models.map((m) => m.id);
      // the spawner's dependents still to run wait for the spawned tasks; one that ended (skipped) does not
      const ended = new Set(run.events.filter(isTerminalEvent).map((e) => e.taskId));
      for (const task of run.tasks.values())
        if (task.deps.has(event.taskId) && !ended.has(task.id)) for (const id of ids) task.deps.add(id);
      for (const model of models) run.tasks.set(model.id, model);
      break;
    }
    case 'dag.completed':
      run.endedAt = now;
      totals.runs++;
      totals.tasks += event.counts.total;
      totals[event.outcome]++;
      break;
    default:
      break;
  }
}
