/**
 * `rxdag worker` once its options are checked: checks that Redis answers, starts a BullMQ worker
 * (`startWorker`) on the CLI's built-in agents, says on stderr which Redis and queues it serves,
 * and serves until SIGTERM or Ctrl-C. The first signal takes no more jobs and lets running
 * attempts finish; a second hands them back to the queue at once (their shell processes are
 * stopped) for another worker. Loaded only by `rxdag worker`: it imports BullMQ. It decides
 * nothing about runs: the schedulers do.
 */
import { startWorker, type RemoteWorker } from '../../bullmq/index';
import { FORMAT_VERSION as JOB_FORMAT } from '../../bullmq/jobFormat';
import { SCHEME_VERSION as SIGNATURE_SCHEME } from '../../bullmq/signing';
import { builtinAgents } from '../agents/builtinAgents';
import { errorLinesOption } from '../agents/errorLines';
import type { CliIo } from '../commands/cliIo';
import { exitCodeOf, HeldStopSignals, type HoldWords, onStopSignals, type StopSignal } from '../commands/interrupts';
import { ExitCode } from '../exitCodes';
import { listenProblem, metricsAt, NO_PROM_CLIENT } from '../output/metricsEndpoint';
import { lingerForScrape } from '../output/metricsLinger';
import { messageOf } from '../../bullmq/redisConnection';
import { InvalidInputError } from '../problems';
import { evictionNote, reachRedis } from '../remote/redisAccess';
import { credentialsAsGiven } from '../remote/remoteOptions';
import { WORKER_AGENTS, type WorkerCommandOptions } from './workerOptions';
import type { WorkerMetrics } from './workerMetrics';

/** How long a shell task this worker has no room to start waits, with none of its tasks running, before it is handed back. */
const HAND_BACK_AFTER_MS = 2000;

/** What the worker says of a stop signal while it is set up: it served nothing, and stopped cleanly. */
const WORKER_HOLD: HoldWords = {
  last: (signal) => `rxdag worker: stopped at once on ${signal} before it served: no job taken`,
  exitCode: (signal) => (signal === 'SIGHUP' ? exitCodeOf(signal) : ExitCode.ok),
};

/** Serves jobs until a stop signal, then resolves with the exit code (0 once stopped cleanly). */
export async function serveWorker(options: WorkerCommandOptions, io: CliIo): Promise<number> {
  // a stop signal while it is set up (a deploy that changed its mind, a Redis that does not
  // answer): the worker stops there, having served nothing; a second one ends it at once
  const held = new HeldStopSignals(WORKER_HOLD, (line) => io.stderr.write(`${line}\n`));
  try {
    return await serve(options, io, held);
  } finally {
    held.release();
  }
}

async function serve(options: WorkerCommandOptions, io: CliIo, held: HeldStopSignals): Promise<number> {
  const { remote } = options;
  const say = (line: string) => io.stderr.write(`${line}\n`);
  const stoppedEarly = () => {
    say(`rxdag worker: stopped on ${held.signal!} before it served: no job taken`);
    return ExitCode.ok;
  };
  // each step waits on Redis or a port: none is waited for once a stop signal came
  const reached = await held.until(reachRedis(remote, options.agents));
  if (reached === undefined) return stoppedEarly();
  const target = reached.value;
  const noted = await held.until(evictionNote(target));
  if (noted === undefined) return stoppedEarly();
  const evicts = noted.value;
  const asGiven = credentialsAsGiven(remote.passwordFromEnv, target.options.username);
  // a task this worker has no room to start goes back to the queue soon: another worker may have room
  const { agents, groups } = builtinAgents(options.killGraceMs, {
    handBackAfterMs: HAND_BACK_AFTER_MS,
    ...errorLinesOption(options.errorLines),
  });
  const opened =
    options.metricsPort === undefined
      ? { value: undefined }
      : await held.until(metricsOn(options.metricsPort, options.metricsHost, options.agents));
  if (opened === undefined) return stoppedEarly();
  const metrics = opened.value;
  let worker: RemoteWorker;
  try {
    worker = startWorker({
      connection: remote.url,
      prefix: remote.prefix,
      ...(remote.key === undefined ? {} : { key: remote.key }),
      insecure: remote.insecure,
      agents: metrics === undefined ? agents : metrics.instrument(agents),
      // the queues of the agents allowed only: another worker of the fleet takes the others' jobs
      allow: options.agents,
      concurrency: options.concurrency,
      leaseMs: options.leaseMs,
      ...(options.name === undefined ? {} : { name: options.name }),
      onLog: (line) => say(asGiven(line)),
      ...(metrics === undefined ? {} : { onJobTaken: metrics.taken, onJobRefused: metrics.refused }),
    });
  } catch (error) {
    await metrics?.close();
    if (error instanceof TypeError) throw new InvalidInputError([{ message: error.message }]);
    throw error;
  }
  const name = `rxdag worker ${worker.id}`;

  let stopRequested: (signal: StopSignal) => void = () => {};
  let stopping = false;
  // a second signal (or SIGQUIT) stopped the worker at once: no wait for a last scrape
  let forced = false;
  const stopped = new Promise<StopSignal>((resolve) => (stopRequested = resolve));
  const stopListening = onStopSignals({
    graceful: (signal) => {
      const running = worker.running;
      const waiting =
        running === 0
          ? ''
          : `, waiting for ${running} running attempt${running === 1 ? '' : 's'} to finish (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again hands them back to the queue now)`;
      say(`${name}: stopping on ${signal}: taking no more jobs${waiting}`);
      stopping = true;
      stopRequested(signal);
    },
    immediate: (signal) => {
      stopping = true;
      forced = true;
      stopRequested(signal); // SIGQUIT comes first
      say(
        `${name}: handing ${worker.running} running attempt${worker.running === 1 ? '' : 's'} back to the queue and stopping ${worker.running === 1 ? 'its' : 'their'} processes`,
      );
      void worker.close({ force: true });
      // their processes get no grace: an attempt handed back must not run on here beside its next copy
      groups.hurry();
    },
  });
  // only now: Node forgets a signal it has not delivered yet once its last listener goes (none
  // came since the last step: nothing between it and here waits)
  held.release();
  try {
    try {
      await Promise.race([worker.ready(), stopped]);
    } catch (error) {
      // a start no wait mends (Redis refused the credentials, no file descriptors left): what it took goes back
      await worker.close({ force: true });
      throw new InvalidInputError([{ message: messageOf(error) }]);
    }
    if (!stopping) announce();
    await stopped;
    await worker.close();
    await groups.whenEmpty(); // no shell process outlives the worker
    say(`${name}: stopped`);
    // after a graceful stop (not a second signal): the last attempts' counts for a last scrape
    stopListening();
    if (metrics !== undefined && !forced) await lingerForScrape(metrics, options.metricsLingerMs, (text) => say(`${name}: ${text}`));
    return ExitCode.ok;
  } finally {
    stopListening();
    await metrics?.close();
  }

  function announce(): void {
    const allowed = options.agents.length === WORKER_AGENTS.length ? '' : ` (--agents ${options.agents.join(',')})`;
    const signed =
      remote.keySource === undefined
        ? 'unsigned jobs accepted (no key)'
        : `signed jobs only (key of ${remote.keySource}${remote.keyNote === undefined ? '' : `, ${remote.keyNote}`}; signatures v${SIGNATURE_SCHEME})`;
    const serving = `${name}: serving queues ${worker.queues.join(', ')}${allowed} of Redis at ${target.location}, prefix ${remote.prefix}; ${signed}; concurrency ${options.concurrency}, lease ${options.leaseMs} ms, kill grace ${options.killGraceMs} ms; job format ${JOB_FORMAT}`;
    // one write: whoever waits for the "serving" line finds where the metrics are with it
    say(metrics === undefined ? serving : `${serving}\n${name}: metrics at ${metricsAt(metrics.url)}`);
    if (evicts !== undefined) say(`${name}: ${evicts}`);
  }
}

/** The metrics endpoint; a port that cannot be had is invalid input. */
async function metricsOn(port: number, host: string, agents: readonly string[]): Promise<WorkerMetrics> {
  try {
    const { startWorkerMetrics } = require('./workerMetrics') as typeof import('./workerMetrics');
    return await startWorkerMetrics(port, agents, host);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'MODULE_NOT_FOUND' && /'prom-client'/.test(message)) {
      throw new InvalidInputError([{ message: NO_PROM_CLIENT }]);
    }
    throw new InvalidInputError([{ message: listenProblem(port, error, host) }]);
  }
}
