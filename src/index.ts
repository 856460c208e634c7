/**
 * rxdag: run DAGs of tasks on agents, reacting to every change instead of polling.
 * Named exports only.
 * Nothing internal is exported (docs/api.md lists what is); the CLI and the integrations are not imported here.
 */
export { defineDag, isDag } from './dag/defineDag';
export type { Dag, DagIndex, RetryPolicy, Task } from './dag/defineDag';
export { DagValidationError, formatIssuePath } from './dag/errors';
export type { DagIssue, DagIssueCode } from './dag/errors';
export { dagSpecSchema, taskSpecSchema, retrySchema, MAX_ATTEMPTS, MAX_ID_LENGTH, MAX_WEIGHT, TRIGGER_RULES } from './dag/schema';
export type { DagSpec, RetrySpec, TaskDefaults, TaskSpec, TriggerRule } from './dag/schema';
export type { TaskLimits } from './dag/taskLimits';

export { events, EVENT_TYPES, FAILURE_POLICIES, isEvent, isTerminalEvent } from './events';
export type * from './events';

export { reduce, reduceAll, InvalidTransitionError } from './state/reducer';
export { trackRun } from './state/trackRun';
export type { RunTracker } from './state/trackRun';
export { initialRunState } from './state/runState';
export type { FailurePolicy, RunState, RunStatus, StatusCounts } from './state/runState';
export { selectTask, selectTaskOutput, selectTaskStatus, selectTasks } from './state/selectors';
export type { TaskSnapshot } from './state/selectors';
export type { TaskStatus } from './state/taskTable';
export { backoffDelay } from './state/routeFailure';

export { AgentError, type AgentErrorOptions, errorInfo, severityOf, WorkerResult } from './agents/agent';
export type { Agent, AgentResult, TaskContext, UpstreamOutputs } from './agents/agent';
export { defineAgent } from './agents/agentSpec';
export { observableAgent, promiseAgent, syncAgent } from './agents/adapters';
export type { AgentDefinition, AgentSpec } from './agents/agentSpec';
export { AttemptHandedBackError, OutputNotJsonSafeError, TaskCancelledError, TaskTimeoutError } from './agents/attemptErrors';
export { afterRecorded, type RecordedCallback, withInput } from './agents/attemptContext';

export { runDag, resumeRun } from './scheduler/runDag';
export { createScheduler } from './scheduler/createScheduler';
export type { DagRun, RunEvents } from './scheduler/createScheduler';

export { fileJournal } from './journal/fileJournal';
export type { FileJournal, FileJournalOptions } from './journal/fileJournal';
export {
  JournalCorruptError,
  JournalWriteError,
  RunExistsError,
  RunInterruptedError,
  RunLockedError,
  RunNotResumableError,
  stoppedForResume,
} from './journal/journal';
export { RunActiveError, SchedulerShutDownError } from './scheduler/refusals';
export type {
  Journal,
  JournaledOptions,
  JournaledRun,
  JournaledRunStatus,
  JournaledRunSummary,
  JournalHeader,
  JournalWriter,
  RunsOptions,
} from './journal/journal';
export type { Scheduler } from './scheduler/createScheduler';
export type { SchedulerSnapshot } from './scheduler/snapshot';
export type { RunOptions, SchedulerOptions, SchedulingMode } from './scheduler/options';
export type { LimitRate, LimitSpec } from './scheduler/limits';
export type { NotificationStreams, TaskErrorNotice } from './scheduler/views';
