/**
 * `rxdag/bullmq`: remote agents and workers on BullMQ (Redis). `remoteAgent` is an agent kind
 * whose attempts run as BullMQ jobs; `startWorker` runs them on local agents, on any machine.
 * The scheduler stays the only one that decides what runs, retries and times out; BullMQ only
 * carries attempts and results. Needs the `bullmq` and `ioredis` packages (optional peer
 * dependencies of rxdag); the core package never loads this entry.
 */
// first: a missing `bullmq` or `ioredis` is said in one line
import './peer';

export { type CancelNotSent, remoteAgent, type RemoteAgent, type RemoteAgentClient, type RemoteAgentClosed } from './remoteAgent';
export { startWorker, type RemoteWorker } from './startWorker';
export type { JobRefusal, LeaseLapse, RedisConnectionChange, RemoteAgentOptions, WorkerOptions } from './options';
export {
  InputNotJsonSafeError,
  JobTooLargeError,
  InvalidJobError,
  RemoteAgentError,
  RemoteJobError,
  RunIdTakenError,
  UnauthorizedJobError,
  UnknownAgentError,
  WorkerLostError,
} from './errors';
export { RedisConnectionError, type RedisConnection } from './redisConnection';
export { jobIdFor } from './jobFormat';
export type { SigningKey } from './signing';
