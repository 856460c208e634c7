/**
 * The CLI's `shell` agent: a task's command in `/bin/sh`, in its own process group, with the
 * run's variables in its environment (the CLI's own, but for its secrets). The task ends when its shell exits: what stays of its group
 * is stopped, and what a process outside the group writes afterwards is not read. It keeps the
 * tail of the output, and hands every chunk to the attempt's log when the run keeps task logs
 * (`taskLogs.ts`). It does not decide retries or timeouts (the scheduler does).
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Agent, TaskContext } from '../../index';
import { AgentError } from '../../agents/agent';
import { headOf } from '../../dag/text';
import { AttemptHandedBackError, TaskTimeoutError } from '../../agents/attemptErrors';
import type { ProcessGroups } from './processGroups';
import { withoutSecrets } from '../secretVariables';
import { TailText } from './tailText';
import type { AttemptLog, TaskLogs } from './taskLogs';
import { workingDirectoryProblem } from './workingDirectory';
import { CANNOT_FORK, NO_FORK_HINT, ROOM_HINTS, shellGaveUpForking, tooLongHint } from './startHints';
import { ROOM_GIVE_UP_MS, SpawnRoom } from './spawnRoom';
import { DEFAULT_ERROR_LINES } from './errorLines';

/**
 * How long the pipes may still deliver what the command wrote once its shell exited: a process
 * that left the task's group (`setsid`, a daemon) holds them open, and must not hold the task.
 */
const PIPE_GRACE_MS = 200;

/** The agent name `run:` tasks use. */
export const SHELL_AGENT = 'shell';

/**
 * What a shell task learns of itself from its environment, by variable: set by rxdag for every
 * attempt, so a task's own `env` cannot give them (the DAG file's check refuses them).
 */
export const TASK_ENV = {
  RXDAG_TASK_ID: "the task's id",
  RXDAG_ATTEMPT: 'the attempt number',
  RXDAG_RUN_ID: "the run's id",
  RXDAG_DAG_ID: "the DAG's id",
  RXDAG_IDEMPOTENCY_KEY: "the task's idempotency key",
} as const;

function taskEnv(task: TaskContext): Record<keyof typeof TASK_ENV, string> {
  return {
    RXDAG_TASK_ID: task.id,
    RXDAG_ATTEMPT: String(task.attempt),
    RXDAG_RUN_ID: task.runId,
    RXDAG_DAG_ID: task.dagId,
    RXDAG_IDEMPOTENCY_KEY: task.idempotencyKey,
  };
}

/** The input of a shell task, built from the DAG file. */
export interface ShellInput {
  readonly command: string;
  /** Absolute working directory. */
  readonly cwd: string;
  /** Variables added to the CLI's own environment (less its secrets: `secretVariables.ts`). */
  readonly env: Readonly<Record<string, string>>;
}

/** What a shell task outputs (into `task.completed` and the events log). */
export interface ShellOutput {
  readonly exitCode: number;
  /** The end of what the command printed, trimmed, at most `maxOutputChars`. */
  readonly stdout: string;
  readonly stderr: string;
}

export interface ShellAgentOptions {
  /** Where each task's process group is tracked, so it can be stopped and waited for. */
  readonly groups: ProcessGroups;
  /** Most characters of stdout and of stderr kept in the output. @default 4000 */
  readonly maxOutputChars?: number;
  /**
   * Lines quoted in the error of a failed command, and of one whose time ran out: the last of
   * its stderr, or of its stdout when its stderr has none (a tool that reports its errors on
   * stdout). @default 5
   */
  readonly stderrLinesInError?: number;
  /** Where each attempt also writes its whole output, as it comes (`--logs`). @default none */
  readonly logs?: TaskLogs;
  /** Variables of the CLI's environment kept from the tasks besides its own secrets (a store's password). @default none */
  readonly hiddenVariables?: readonly string[];
  /**
   * On a worker: how long a spawn refused for want of room, with none of its tasks running,
   * waits before its attempt is handed back to the queue (`AttemptHandedBackError`) for another
   * worker, instead of failing after {@link ROOM_GIVE_UP_MS}; given, a command whose shell could
   * not start a process (`Cannot fork`) is handed back at once. @default none
   */
  readonly handBackAfterMs?: number;
}

/**
 * A command that exited non-zero or was killed; its message quotes the end of its stderr, or of
 * its stdout when its stderr is empty.
 */
export class ShellCommandError extends Error {
  override readonly name = 'ShellCommandError';
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
  ) {
    super(message);
  }
}

/**
 * The `shell` agent: runs `input.command` with `/bin/sh` in its own process group, captures
 * stdout and stderr (the whole of both into the attempt's log with `logs`), and succeeds with
 * `{exitCode, stdout, stderr}` (their tails) when it exits 0. It ends when
 * its shell exits, not when the last holder of its pipes closes them. When the
 * attempt is cancelled or times out (its `signal` fires) the whole group gets SIGTERM, then
 * SIGKILL after the grace period; a timeout's error then quotes the last lines the command had
 * written (`before its time ran out, last stdout lines:\n…`), as a failed command's does. The
 * command sees `RXDAG_TASK_ID`, `RXDAG_ATTEMPT`, `RXDAG_RUN_ID` and `RXDAG_DAG_ID`, so it can
 * tell a retry from a first attempt, and
 * `RXDAG_IDEMPOTENCY_KEY` (`${runId}/${taskId}`: the same for every attempt and every resume of
 * a journaled run), so it can make its side effects idempotent.
 *
 * @example
 * const groups = new ProcessGroups(2000);
 * runDag(dag, { agents: { shell: createShellAgent({ groups }) } });
 */
export function createShellAgent(options: ShellAgentOptions): Agent {
  // the CLI's environment as its tasks inherit it, taken once: reading `process.env` whole asks
  // the system for every variable
  const inherited = withoutSecrets(process.env, options.hiddenVariables);
  const room = new SpawnRoom(options.groups);
  return (task) => runShell(task, options, inherited, room);
}

function runShell(task: TaskContext, options: ShellAgentOptions, inherited: NodeJS.ProcessEnv, room: SpawnRoom): Promise<ShellOutput> {
  const { command, cwd, env } = shellInput(task);
  const { signal } = task;
  const maxChars = options.maxOutputChars ?? 4000;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const cwdProblem = workingDirectoryProblem(cwd);
    if (cwdProblem !== undefined) return reject(new Error(`task "${task.id}": cwd "${cwd}" ${cwdProblem}`));

    const environment = { ...inherited, ...env, ...taskEnv(task) };
    const cannotStart = (error: NodeJS.ErrnoException) => {
      const message = `task "${task.id}": cannot start \`${shorten(command)}\`: ${error.message}`;
      // too long stays too long: no other attempt
      if (error.code === 'E2BIG') return new AgentError(`${message}${tooLongHint(command, environment)}`, { retry: false });
      return new Error(`${message}${ROOM_HINTS[error.code ?? ''] ?? ''}`);
    };
    // refused for want of room (nothing ran): tried again as the CLI's other tasks end (`spawnRoom.ts`)
    const refused = (error: NodeJS.ErrnoException) => {
      if (!room.isRefusal(error) || signal.aborted) return reject(cannotStart(error));
      const stuckMs = room.stuckForMs();
      // on a worker, soon: another worker may have room (its job goes back to the queue)
      if (options.handBackAfterMs !== undefined && stuckMs >= options.handBackAfterMs) {
        const why = `this worker had no room to start it (${error.code})`;
        return reject(new AttemptHandedBackError(task.id, why, { cause: cannotStart(error) }));
      }
      if (stuckMs >= ROOM_GIVE_UP_MS) return reject(cannotStart(error));
      // its time ran out while it waited: the timeout's error says it never started (before the failure is recorded)
      const neverStarted = () => {
        const reason: unknown = signal.reason;
        if (reason instanceof TaskTimeoutError) reason.addDetail(`it never started: the system had no room to start it (${error.code})`);
      };
      signal.addEventListener('abort', neverStarted, { once: true });
      void room.wait(signal).then((how) => {
        signal.removeEventListener('abort', neverStarted);
        if (signal.aborted) return reject(signal.reason);
        // every task is told to stop (SIGTERM): one still to start does not
        if (how === 'stopping')
          return reject(new Error(`task "${task.id}": not started: its tasks were stopped while it waited for room (${error.code})`));
        start();
      });
    };
    const spawnOnce = (): ChildProcessByStdio<null, Readable, Readable> | undefined => {
      if (room.lacksDescriptors()) {
        refused(Object.assign(new Error('spawn /bin/sh EMFILE'), { code: 'EMFILE' }));
        return undefined;
      }
      let child: ChildProcessByStdio<null, Readable, Readable>;
      try {
        child = spawn(command, {
          shell: true,
          detached: true, // its own process group: one kill reaches everything it starts
          cwd,
          env: environment,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      } catch (error) {
        // some refusals come at once rather than as an 'error' event (a command too long: E2BIG)
        refused(error as NodeJS.ErrnoException);
        return undefined;
      }
      if (child.pid === undefined) {
        // not started (no file descriptors or processes left: EMFILE, ENFILE, EAGAIN; no shell): its
        // 'error' comes next, maybe more than once
        room.notStarted();
        child.once('error', refused);
        child.on('error', () => undefined);
        return undefined;
      }
      return child;
    };
    const start = () => {
      const child = spawnOnce();
      if (child !== undefined) attach(child);
    };
    const attach = (child: ChildProcessByStdio<null, Readable, Readable>) => {
      options.groups.track(child);
      // its room comes back once its pipes are closed: then a task waiting for room may start
      room.started();
      let roomBack = false;
      const giveRoomBack = () => {
        if (!roomBack) room.ended();
        roomBack = true;
      };
      const log = options.logs?.openAttempt(task.runId, task.id, task.attempt);
      const stdout = captured(child.stdout, maxChars, log);
      const stderr = captured(child.stderr, maxChars, log);

      const aborted = () => {
        // the scheduler's timeout error knows nothing of the output: it is told now, before its
        // failure is recorded (`TaskTimeoutError.addDetail`)
        const reason: unknown = signal.reason;
        if (reason instanceof TaskTimeoutError) {
          const lines = lastLinesOf({ stdout, stderr }, options.stderrLinesInError ?? DEFAULT_ERROR_LINES) ?? 'it had written nothing';
          reason.addDetail(`before its time ran out, ${lines}`);
        }
        // a stop reaches the groups the command made in its session too (its own end, its group:
        // one read of /proc a task would cost every task)
        if (child.pid !== undefined) void options.groups.terminate(child.pid, true);
      };
      signal.addEventListener('abort', aborted, { once: true });
      // (on, not once: a child that did not start may say so more than once)
      child.on('error', (error) => {
        signal.removeEventListener('abort', aborted);
        log?.end(true);
        giveRoomBack();
        reject(cannotStart(error));
      });
      child.once('exit', (exitCode: number | null, killedBy: NodeJS.Signals | null) => {
        // Background processes the command left behind would hold its pipes open (no 'close')
        // and outlive the task: the task owns its group, so they end when its shell does.
        if (child.pid !== undefined) void options.groups.shellExited(child.pid);
        whenOutputRead(child, () => {
          giveRoomBack();
          signal.removeEventListener('abort', aborted);
          log?.end(signal.aborted || exitCode !== 0);
          if (signal.aborted) return reject(signal.reason);
          if (exitCode === 0) return resolve({ exitCode, stdout: stdout.text(), stderr: stderr.text() });
          const failed = commandError(command, exitCode, killedBy, { stdout, stderr }, options.stderrLinesInError ?? DEFAULT_ERROR_LINES);
          // on a worker, a shell that could not start a process: another worker may have room (what
          // the command did before may be done again there, as on any retry)
          if (options.handBackAfterMs !== undefined && shellGaveUpForking(stderr.text())) {
            return reject(
              new AttemptHandedBackError(task.id, 'its shell could not start a process on this worker (Cannot fork)', { cause: failed }),
            );
          }
          reject(failed);
        });
      });
    };
    start();
  });
}

/**
 * The tail of what `stream` delivers, each chunk also appended to `log`, when there is one, as it
 * came: decoded here rather than by the stream, so that the log gets the bytes themselves.
 */
function captured(stream: Readable, maxChars: number, log: AttemptLog | undefined): TailText {
  const tail = new TailText(maxChars);
  const decoder = new StringDecoder('utf8');
  stream.on('data', (chunk: Buffer) => {
    log?.write(chunk);
    tail.push(decoder.write(chunk));
  });
  stream.once('end', () => {
    const rest = decoder.end(); // a character cut at the very end
    if (rest !== '') tail.push(rest);
  });
  return tail;
}

/**
 * Calls `done` once `child`, which has exited, delivered its output: at its 'close', at once for
 * a normal command; or, when a process that left its group still holds its pipes,
 * {@link PIPE_GRACE_MS} later with what was read by then, its pipes closed. Leaves no listener
 * or timer behind.
 */
function whenOutputRead(child: ChildProcessByStdio<null, Readable, Readable>, done: () => void): void {
  // Set when the grace ran out: one more turn of the event loop reads what the pipes already
  // hold, in case the loop was too busy to read them during the grace.
  let lastRead: NodeJS.Immediate | undefined;
  const finish = () => {
    clearTimeout(grace);
    clearImmediate(lastRead);
    child.off('close', finish);
    done();
  };
  const grace = setTimeout(() => {
    lastRead = setImmediate(() => {
      child.stdout.destroy();
      child.stderr.destroy();
      finish();
    });
  }, PIPE_GRACE_MS);
  child.once('close', finish);
}

/** The error of a command that failed: how it ended and the last lines it wrote. */
function commandError(
  command: string,
  exitCode: number | null,
  killedBy: NodeJS.Signals | null,
  output: { readonly stdout: TailText; readonly stderr: TailText },
  lineCount: number,
): ShellCommandError {
  const what = exitCode === null ? `was killed by ${killedBy ?? 'a signal'}` : `exited with code ${exitCode}`;
  const lines = lastLinesOf(output, lineCount);
  // its shell started, and then could not fork its commands (dash: `Cannot fork`; bash: `fork: …`)
  const forkHint = exitCode !== 0 && CANNOT_FORK.test(output.stderr.text()) ? NO_FORK_HINT : '';
  return new ShellCommandError(
    `\`${shorten(command)}\` ${what}${lines === undefined ? ' (no output)' : `; ${lines}`}${forkHint}`,
    exitCode,
    killedBy,
  );
}

/**
 * `last stderr lines:\n…`: the last lines of stderr, or of stdout when stderr has none (many
 * tools report errors on stdout); undefined when the command wrote nothing.
 */
function lastLinesOf(output: { readonly stdout: TailText; readonly stderr: TailText }, lineCount: number): string | undefined {
  for (const stream of ['stderr', 'stdout'] as const) {
    const lines = output[stream].lastLines(lineCount);
    if (lines.length > 0) return `last ${stream} lines:\n${lines.join('\n')}`;
  }
  return undefined;
}

function shellInput(task: TaskContext): ShellInput {
  const input = task.input as Partial<ShellInput> | null | undefined;
  if (typeof input?.command !== 'string' || typeof input.cwd !== 'string') {
    throw new TypeError(
      `task "${task.id}": the shell agent expects input {command: string, cwd: string, env?: object}, got ${JSON.stringify(task.input)}`,
    );
  }
  return { command: input.command, cwd: input.cwd, env: input.env ?? {} };
}

/** The command as errors quote it: its first line, at most 80 characters. */
function shorten(command: string): string {
  const lines = command.trim().split(/\r?\n/);
  const first = lines[0]!.trim() + (lines.length > 1 ? ' …' : '');
  return first.length > 80 ? `${headOf(first, 79)}…` : first;
}
