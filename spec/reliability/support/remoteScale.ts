import type { RetrySpec } from '../../../src';
import type { RealTimeTolerance } from './observation';
import { isRetryWait } from './retryHints';
import type {
  Behaviour,
  CancelGen,
  ChildGen,
  DagGen,
  MultiScenario,
  RetryHintGen,
  ScenarioBase,
  ScriptedBehaviour,
  SingleScenario,
  TaskGen,
} from './scenario';

/**
 * Generated scenarios moved from virtual to real time for the remote suite: every duration a
 * scenario holds (agent delays, time limits, backoffs, the waits errors ask for, rate windows,
 * poll and health intervals, cancellation and submission times, idle times) is multiplied by
 * {@link UNIT_MS}, so the same generator and the same model serve both suites, and the model's
 * expectations come out in real milliseconds. Counts (attempts, weights, `afterEvents`) are left
 * as they are. Also the tolerances real time needs. Pure data; nothing here runs a scenario.
 */

/** Real milliseconds per generated millisecond: small enough for quick runs, large enough that delays mean something next to a Redis round trip. */
export const UNIT_MS = 5;

/**
 * How far from its due time a timed event of a remote run may be stamped. Early: Node's timers
 * count from the event loop's cached clock, which lags the wall clock by the synchronous work
 * of the tick that set them (and by any time the process was descheduled in it). Late: a result
 * crosses Redis twice (job in, outcome out) and the machine may be busy; a generous bound keeps
 * the suite stable, and a scheduler that forgets a timer still fails the liveness deadline.
 */
export const REMOTE_TOLERANCE: RealTimeTolerance = { earlyMs: 60, lateMs: 1500 };

const ms = (value: number | undefined): number | undefined => (value === undefined ? undefined : value * UNIT_MS);

function scaleRetry(retry: RetrySpec | undefined): RetrySpec | undefined {
  if (retry === undefined) return undefined;
  return {
    ...retry,
    ...(retry.backoffMs === undefined ? {} : { backoffMs: retry.backoffMs * UNIT_MS }),
    ...(retry.maxBackoffMs === undefined ? {} : { maxBackoffMs: retry.maxBackoffMs * UNIT_MS }),
  };
}

/** A hint's wait in real ms; a value that is no wait stays what it is. */
function scaleHint(hint: RetryHintGen | undefined): RetryHintGen | undefined {
  if (hint === undefined || !isRetryWait(hint.retryAfterMs)) return hint;
  return { ...hint, retryAfterMs: hint.retryAfterMs * UNIT_MS };
}

function scaleBehaviour(behaviour: Behaviour): Behaviour {
  switch (behaviour.kind) {
    case 'hang':
      return behaviour;
    case 'spawn':
      return { ...behaviour, delay: behaviour.delay * UNIT_MS, children: behaviour.children.map(scaleChild) };
    case 'fail':
    case 'warning':
    case 'critical':
      return { ...behaviour, delay: behaviour.delay * UNIT_MS, hint: scaleHint(behaviour.hint) };
    default:
      return { ...behaviour, delay: behaviour.delay * UNIT_MS };
  }
}

const scaleScript = (script: readonly ScriptedBehaviour[]): ScriptedBehaviour[] =>
  script.map(({ behaviour, roll }) => ({ behaviour: scaleBehaviour(behaviour), roll }));

function scaleChild(child: ChildGen): ChildGen {
  return { ...child, retry: scaleRetry(child.retry), timeoutMs: ms(child.timeoutMs), script: scaleScript(child.script) };
}

function scaleTask(task: TaskGen): TaskGen {
  return {
    ...task,
    retry: scaleRetry(task.retry),
    timeoutMs: ms(task.timeoutMs),
    estimateMs: ms(task.estimateMs),
    script: scaleScript(task.script),
  };
}

function scaleDag(dag: DagGen): DagGen {
  return {
    ...dag,
    tasks: dag.tasks.map(scaleTask),
    defaults: { ...dag.defaults, retry: scaleRetry(dag.defaults.retry), timeoutMs: ms(dag.defaults.timeoutMs) },
  };
}

const scaleCancel = (cancel: CancelGen): CancelGen => ({ ...cancel, atTime: ms(cancel.atTime) });

function scaleBase<T extends ScenarioBase>(scenario: T): T {
  const { options } = scenario;
  return {
    ...scenario,
    kinds: scenario.kinds.map((kind) => ({ ...kind, idleMs: kind.idleMs * UNIT_MS })),
    options: {
      ...options,
      pollIntervalMs: options.pollIntervalMs * UNIT_MS,
      healthCheckIntervalMs: options.healthCheckIntervalMs * UNIT_MS,
      stuckAfterMs: options.stuckAfterMs * UNIT_MS,
      taskTimeoutMs: ms(options.taskTimeoutMs),
    },
    limits: {
      ...scenario.limits,
      limits: scenario.limits.limits.map((limit) => ({
        ...limit,
        rate: limit.rate === undefined ? undefined : { ...limit.rate, intervalMs: limit.rate.intervalMs * UNIT_MS },
      })),
    },
  };
}

/** A generated scenario with its durations in real milliseconds. */
export function inRealTime(scenario: SingleScenario | MultiScenario): SingleScenario | MultiScenario {
  if ('runs' in scenario) {
    const multi = scaleBase(scenario);
    return {
      ...multi,
      dags: multi.dags.map(scaleDag),
      runs: multi.runs.map((run) => ({ ...run, submitAt: run.submitAt * UNIT_MS, cancel: scaleCancel(run.cancel) })),
      shutdown: multi.shutdown === undefined ? undefined : { ...multi.shutdown, at: multi.shutdown.at * UNIT_MS },
    };
  }
  const single = scaleBase(scenario);
  return { ...single, dag: scaleDag(single.dag), cancel: scaleCancel(single.cancel) };
}
