/**
 * The `rxdag` command line: its commands, options and help text (commander), each command's
 * exit code, and how invalid input is printed (every problem on its own line, exit 2). Runs
 * nothing itself: each command lives in `commands/`.
 */
import { DEFAULT_METRICS_LINGER_MS } from './output/metricsLinger';
import { Command, CommanderError, Option, type OutputConfiguration } from 'commander';
import type { CliIo } from './commands/cliIo';
import { shellWord } from './shellWord';
import type { RawResumeOptions } from './commands/resume';
import type { RawRunOptions } from './commands/runOptions';
import { DEFAULT_KILL_GRACE_MS } from './commands/runOptions';
import { ERROR_LINES_HELP } from './agents/errorLines';
import type { RawPruneOptions } from './commands/prune';
import type { RawRunsOptions } from './commands/runs';
import type { RawShowOptions } from './commands/show';
import type { RawValidateOptions } from './commands/validate';
import type { RawWorkerOptions } from './commands/worker';
import { describeIoError } from './commands/writeTarget';
import { ExitCode } from './exitCodes';
import { InvalidInputError, problemLines } from './problems';
import { escapeControls } from '../dag/text';

/**
 * Runs the `rxdag` command line and resolves with the exit code; never calls `process.exit`
 * itself (except on a second Ctrl-C), so it can be driven from a test.
 */
export async function cli(argv: readonly string[], io: CliIo, version: string): Promise<number> {
  let exitCode: number = ExitCode.ok;
  // Commander actions cannot return a value: each stores its exit code here.
  const act = (command: () => number | Promise<number>) => async () => {
    checkWorkingDirectory();
    exitCode = await command();
  };
  const program = buildProgram(version, io, {
    run: (file, options) => act(() => commands.run().runCommand(file, options, io))(),
    resume: (runId, options) => act(() => commands.resume().resumeCommand(runId, options, io))(),
    runs: (options) => act(() => commands.runs().runsCommand(options, io))(),
    show: (runId, options) => act(() => commands.show().showCommand(runId, options, io))(),
    prune: (runIds, options) => act(() => commands.prune().pruneCommand(runIds, options, io))(),
    validate: (file, options) => act(() => commands.validate().validateCommand(file, options, io))(),
    graph: (file, options) => act(() => commands.graph().graphCommand(file, options, io))(),
    report: (events, options) => act(() => commands.report().reportCommand(events, options, io))(),
    worker: (options) => act(() => commands.worker().workerCommand(options, io))(),
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof InvalidInputError) {
      for (const line of problemLines(error.problems)) io.stderr.write(`rxdag: ${line}\n`);
      for (const warning of error.warnings) io.stderr.write(`rxdag: warning: ${escapeControls(warning)}\n`);
      return ExitCode.invalid;
    }
    if (error instanceof CommanderError) {
      // Help and version end with 0; every usage error is an invalid option (2), not a failure (1).
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.invalid;
    }
    throw error;
  }
}

/**
 * Each command's module, loaded when the command runs: a command pays only for the modules it
 * uses (`validate` loads no scheduler, `runs` no report).
 */
const commands = {
  run: () => require('./commands/run') as typeof import('./commands/run'),
  resume: () => require('./commands/resume') as typeof import('./commands/resume'),
  runs: () => require('./commands/runs') as typeof import('./commands/runs'),
  show: () => require('./commands/show') as typeof import('./commands/show'),
  prune: () => require('./commands/prune') as typeof import('./commands/prune'),
  validate: () => require('./commands/validate') as typeof import('./commands/validate'),
  graph: () => require('./commands/graph') as typeof import('./commands/graph'),
  report: () => require('./commands/report') as typeof import('./commands/report'),
  worker: () => require('./commands/worker') as typeof import('./commands/worker'),
};

interface Actions {
  run(file: string, options: RawRunOptions): Promise<void>;
  resume(runId: string | undefined, options: RawResumeOptions): Promise<void>;
  runs(options: RawRunsOptions): Promise<void>;
  show(runId: string, options: RawShowOptions): Promise<void>;
  prune(runIds: string[], options: RawPruneOptions): Promise<void>;
  validate(file: string, options: RawValidateOptions): Promise<void>;
  graph(file: string, options: { format?: string }): Promise<void>;
  report(events: string, options: { output: string; dag?: string }): Promise<void>;
  worker(options: RawWorkerOptions): Promise<void>;
}

/** `--redis` and what goes with it, on `run`, `resume` and `worker`. */
const remote = (command: Command, redisHelp: string) =>
  command
    .option('--redis <url>', redisHelp)
    .option('--redis-prefix <prefix>', 'prefix of every Redis key: schedulers and workers that work together use the same (default: rxdag)')
    .option('--key-file <path>', 'the key schedulers and workers share: workers run only jobs signed with it (default: $RXDAG_WORKER_KEY)')
    .option('--insecure', 'accept a Redis off this machine without a key (anyone who can write to it can run commands on workers)');

const STORE_HELP = 'where runs are journaled: a folder, or postgres://… (default: $RXDAG_STORE, else .rxdag)';

/** `--sync` of `run` and `resume`. */
const SYNC_HELP =
  "when a folder store's journal is synced to disk: fsync (the default: each group of events is on the disk before what it releases starts; an OS crash or a power loss loses nothing recorded) or none (a crash of rxdag loses nothing; one of the OS may lose the last events, or early in a run the whole journal: faster with many short tasks; not kept for resume)";

const EXIT_CODES = `
Exit codes: 0 all tasks succeeded (or the command did its job), 1 a task failed, 2 invalid file
or options, or an unknown, ended or owned run, or a store that is missing or cannot be reached
(nothing ran), 74 an output or the journal could not be written, 130 interrupted (143 SIGTERM,
129 SIGHUP, 131 SIGQUIT).

Durable runs: "rxdag run" journals every run into the store (.rxdag/ of the working directory by
default). A run whose process died (a crash, kill -9) or was stopped by SIGTERM (a service
manager, a reboot) is "interrupted": "rxdag resume" continues it without running again what had
completed; Ctrl-C cancels a run. A task may run more than once (its
attempt was in flight when the process died): shell tasks see RXDAG_IDEMPOTENCY_KEY, the same for
every attempt and resume, to make their side effects idempotent.

Remote workers: "rxdag worker --redis URL --key-file KEY" (on any machine) runs the tasks that
"rxdag run FILE --redis URL --key-file KEY" sends through Redis; the output and "rxdag show" name
the worker that ran each task.`;

/** The defaults `rxdag run` shows for the scheduling options. */
const RUN_DEFAULTS = { concurrency: '8', mode: 'event', pollInterval: '50' };

function buildProgram(version: string, io: CliIo, actions: Actions): Command {
  const program = new Command('rxdag')
    .description(
      'Run DAGs of tasks (shell commands, sleeps) event-driven on RxJS, with live progress, an events log, an HTML report, and a journal to resume crashed runs.',
    )
    .version(version)
    .exitOverride()
    .showHelpAfterError('(run "rxdag --help" for usage)')
    .addHelpText('after', EXIT_CODES);

  // `resume` keeps the concurrency, mode and poll period its run began with unless told
  const display = (command: Command, defaults: { concurrency: string; mode: string; pollInterval: string } = RUN_DEFAULTS) =>
    command
      .option('-c, --concurrency <n>', `most tasks running at once (default: ${defaults.concurrency})`)
      // no default value here: `resume` would not see that the mode was not given
      .addOption(new Option('--mode <mode>', `how the scheduler notices changes (default: ${defaults.mode})`).choices(['event', 'polling']))
      .option('--poll-interval <ms>', `poll period with --mode polling (default: ${defaults.pollInterval})`)
      .option('--events <out.jsonl>', 'write every event, one JSON object per line')
      .option('--report <out.html>', 'write a self-contained HTML report when the run ends')
      .option('--logs <dir>', "write each shell task attempt's whole stdout and stderr to DIR/RUN_ID/TASK.ATTEMPT.log (made if missing)")
      .option('-q, --quiet', 'print only failed tasks and the final line')
      .option('--json', 'print each event as one JSON line on stdout, nothing else')
      .option('--kill-grace <ms>', `time a stopped shell task gets between SIGTERM and SIGKILL (default: ${DEFAULT_KILL_GRACE_MS})`)
      .option('--error-lines <n>', ERROR_LINES_HELP)
      .option(
        '--metrics-port <port>',
        'serve Prometheus /metrics of the run on 127.0.0.1 while it runs (0: a free port; the URL is printed)',
      )
      .option('--metrics-host <address>', METRICS_HOST_HELP)
      .option(
        '--metrics-linger <ms>',
        `with --metrics-port, keep /metrics up after the run until it is scraped once more, at most this long (default: ${DEFAULT_METRICS_LINGER_MS}, 0 with --metrics-port 0; 0: close at once)`,
      )
      .option(
        '--metrics-push <url>',
        'push the metrics of the run to this Prometheus Pushgateway (http://… or https://…) when the command ends: job rxdag, label dag',
      )
      .option(
        '--otlp <url>',
        "send the run's spans to this OpenTelemetry collector over OTLP/HTTP, e.g. http://localhost:4318 (a span per run, a child per attempt)",
      );

  display(
    program
      .command('run')
      .description('run a DAG file (.yaml, .yml or .json), journaled so that it can be resumed')
      .argument('<file>', 'the DAG file'),
  )
    .option('--fail-fast', 'cancel the whole run at the first task that fails for good')
    .option('--store <dir|postgres://…>', STORE_HELP)
    .option('--sync <fsync|none>', SYNC_HELP)
    .option('--no-journal', 'do not journal the run (it cannot be resumed)')
    .option('--no-history', "do not estimate tasks' durations from earlier runs of the DAG in the store")
    .action(actions.run);

  display(
    program
      .command('resume')
      .description(
        'continue an interrupted run from its journal, with the DAG it started with (the DAG file is not read again; default: the newest interrupted run)',
      )
      .argument('[run-id]', 'the run to resume, as "rxdag runs" lists it'),
    { concurrency: "the run's", mode: "the run's", pollInterval: "the run's, else 50" },
  )
    .option('--store <dir|postgres://…>', STORE_HELP)
    .option('--sync <fsync|none>', SYNC_HELP)
    .option('--local', 'run here, without --redis, the attempts a run sent to workers and had in flight (a worker may run them too)')
    .action(actions.resume);

  program
    .command('runs')
    .description('list the runs of the store, newest first: id, DAG, status, start, duration, task counts')
    .option('--store <dir|postgres://…>', STORE_HELP)
    .option('--json', 'one JSON object per run and line')
    .option(
      '--status <statuses>',
      'only runs of these statuses, separated by commas, or the option given again (running, interrupted, succeeded, failed, cancelled)',
      // given again, it adds to the list (the last one alone would silently drop the others)
      (value: string, previous?: string) => (previous === undefined ? value : `${previous},${value}`),
    )
    .option('--dag <id>', 'only runs of this DAG')
    .option('--limit <n>', 'at most the newest N runs (after --status and --dag)')
    .action(actions.runs);

  program
    .command('show')
    .description("a journaled run: summary, every failure with its error, each task's timing")
    .argument('<run-id>', 'the run, as "rxdag runs" lists it')
    .option('--store <dir|postgres://…>', STORE_HELP)
    .option('--json', 'print it as one JSON object')
    .option('--failed', 'only its failures: no line per task')
    .option(
      '--task <id>',
      'only this task: its line and failures (again for more: --task a --task b)',
      (value: string, previous?: readonly string[]) => [...(previous ?? []), value],
    )
    .option('--report <out.html>', 'write the HTML report of the run from its journal')
    .action(actions.show);

  program
    .command('prune')
    .description('remove runs from the store: those named, or ended runs selected by age and count')
    .argument('[run-ids...]', 'the runs to remove, as "rxdag runs" lists them')
    .option('--store <dir|postgres://…>', STORE_HELP)
    .option('--older-than <duration>', 'runs that ended longer ago than this: a number and s, m, h, d or w (90m, 12h, 30d, 2w)')
    .option('--keep <n>', 'keep the newest N runs of each DAG, whatever their age')
    .option('--interrupted', 'remove interrupted runs too (a removed run can no longer be resumed)')
    .option('--dry-run', 'print what would be removed, remove nothing')
    .option('--logs <dir>', 'the folder given to rxdag run --logs: remove the task logs of each run removed (DIR/RUN_ID)')
    .action(actions.prune);

  remote(
    program
      .command('worker')
      .description('run the shell and sleep tasks that "rxdag run --redis" sends through Redis, until SIGTERM or Ctrl-C')
      .option('-c, --concurrency <n>', 'attempts run at once, per agent (default: 8)')
      .option('--lease-ms <ms>', "how long a job stays this worker's without renewal; another takes it if this one dies (default: 30000)")
      .option('--kill-grace <ms>', `time a stopped shell task gets between SIGTERM and SIGKILL (default: ${DEFAULT_KILL_GRACE_MS})`)
      .option('--error-lines <n>', ERROR_LINES_HELP)
      .option(
        '--agents <names>',
        'the agents this worker runs, comma-separated; tasks of other agents wait in Redis for a worker that runs them (default: shell,sleep)',
      )
      .option('--metrics-port <port>', 'serve Prometheus /metrics of this worker on 127.0.0.1 (0: a free port; the URL is printed)')
      .option('--metrics-host <address>', METRICS_HOST_HELP)
      .option(
        '--metrics-linger <ms>',
        `with --metrics-port, keep /metrics up after a graceful stop until it is scraped once more, at most this long (default: ${DEFAULT_METRICS_LINGER_MS}, 0 with --metrics-port 0; 0: close at once)`,
      )
      .option('--name <name>', "how this worker is named in results and rxdag show, e.g. a container's (default: HOST:PID)"),
    'required: the Redis schedulers send attempts through (redis://[USER:PASSWORD@]HOST[:PORT][/DB], rediss:// for TLS)',
  ).action(actions.worker);

  program
    .command('validate')
    .description('check a DAG file without running it: every problem on its own line')
    .argument('<file>', 'the DAG file')
    .option('-c, --concurrency <n>', 'the concurrency of the run, as "rxdag run -c" takes it: no task may weigh more (default: 8)')
    .action(actions.validate);

  program
    .command('graph')
    .description('print the DAG as a Mermaid flowchart or Graphviz DOT')
    .argument('<file>', 'the DAG file')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['mermaid', 'dot']).default('mermaid'))
    .action(actions.graph);

  program
    .command('report')
    .description('write the HTML report of a run from its events log')
    .argument('<events>', 'an events log written by "rxdag run --events"')
    .requiredOption('-o, --output <out.html>', 'required: the HTML file to write (-: standard output)')
    .option('--dag <file>', 'the DAG file of the run, to draw its real dependencies')
    .action(actions.report);

  for (const command of program.commands) {
    if (command.name() === 'run' || command.name() === 'resume')
      remote(command, 'run every attempt on "rxdag worker" processes through this Redis (redis://… or rediss://…)');
  }
  // the top level's own flags are only --help and --version: another tool's flag there is given none of a command's
  program.configureOutput(outputTo(io, program));
  for (const command of program.commands) {
    command.exitOverride().configureOutput(outputTo(io, command)).showHelpAfterError(`(run "rxdag ${command.name()} --help" for usage)`);
  }
  return program;
}

/**
 * Where commander writes, and its usage errors worded as rxdag's own problems are:
 * `rxdag: unknown option '--bogus'` rather than `error: unknown option '--bogus'`. Another tool's
 * name for a flag of `command` gets that flag, not commander's closest name.
 */
function outputTo(io: CliIo, command: Command): OutputConfiguration {
  return {
    writeOut: (text) => io.stdout.write(text),
    writeErr: (text) => io.stderr.write(text),
    outputError: (text, write) => write(withCommandHint(withFlagHint(text.replace(/^error: /, 'rxdag: '), command))),
  };
}

/** Other tools' names of rxdag's flags, by their name in commander's message, and the flag meant. */
const FLAG_HINTS: readonly { readonly given: string; readonly flag: string; readonly hint: string }[] = [
  // make's `-j`; `--jobs` is not `--logs`
  {
    given: '-j\\d*|--jobs|--parallel|--parallelism|--max-parallel|--threads',
    flag: '--concurrency',
    hint: '-c N, --concurrency N: how many tasks run at once',
  },
  // the docs' own words for it: "the events log"
  {
    given: '--events?-log|--log-events|--events?-file|--event-?log',
    flag: '--events',
    hint: '--events FILE: write every event to FILE, one JSON object per line',
  },
  // `--prefix` is not `--redis`
  {
    given: '--prefix|--key-prefix|--queue-prefix|--bullmq-prefix',
    flag: '--redis-prefix',
    hint: '--redis-prefix PREFIX: the prefix of every Redis key',
  },
];

/** Flags of `rxdag run` that a resume, copied from the run's command line, may be given: what the resumed run keeps instead. */
const KEPT_ON_RESUME: readonly { readonly given: string; readonly hint: string }[] = [
  { given: '--fail-fast', hint: 'a resumed run keeps the failure policy it began with' },
  { given: '--no-journal', hint: 'a resumed run goes on in the journal it began in' },
  { given: '--no-history', hint: 'a resumed run keeps the estimates it began with' },
];

/**
 * Commander's message for an unknown option, with the flag of `command` meant by another tool's
 * name for it in place of commander's guess, or, for a resume given a flag of the run, what the
 * run keeps instead.
 */
function withFlagHint(text: string, command: Command): string {
  const hinted = (given: string, hint: string): string | undefined => {
    const unknown = new RegExp(`^rxdag: unknown option '(${given})(?:=[^']*)?'\\n(?:\\(Did you mean [^)]*\\)\\n)?`);
    return unknown.test(text) ? text.replace(unknown, (whole: string) => `${whole.split('\n')[0]!} (${hint})\n`) : undefined;
  };
  if (command.name() === 'resume') {
    for (const { given, hint } of KEPT_ON_RESUME) {
      const said = hinted(given, hint);
      if (said !== undefined) return said;
    }
  }
  for (const { given, flag, hint } of FLAG_HINTS) {
    if (!command.options.some((option) => option.long === flag)) continue;
    const said = hinted(given, hint);
    if (said !== undefined) return said;
  }
  return text;
}

/** `--metrics-host`'s help, the same for a run and a worker. */
const METRICS_HOST_HELP =
  'with --metrics-port, the IP address /metrics listens on (default: 127.0.0.1, this machine only; 0.0.0.0: every IPv4 interface)';

/**
 * Commander's message for an unknown command, with what was meant when it reads as a DAG file
 * (`rxdag dag.yaml`: `rxdag run dag.yaml`) or as asking for the version (`rxdag version`).
 */
function withCommandHint(text: string): string {
  const unknown = /^rxdag: unknown command '([^']*)'\n/.exec(text);
  if (unknown === null) return text;
  const given = unknown[1]!;
  const meant = /\.(ya?ml|json)$/i.test(given)
    ? `to run a DAG file: rxdag run ${shellWord(given)}`
    : /^-?v(ersion)?$/i.test(given)
      ? 'the version: rxdag --version'
      : undefined;
  return meant === undefined ? text : text.replace(unknown[0], `${unknown[0].slice(0, -1)} (${meant})\n`);
}

/**
 * Refuses to run any command in a working directory the process cannot name (removed under
 * it, or a path longer than the system takes): every relative path, the default store and a
 * task's folder depend on it.
 */
function checkWorkingDirectory(): void {
  try {
    process.cwd();
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    const why =
      code === 'ENOENT'
        ? 'it was removed'
        : code === 'ERANGE' || code === 'ENAMETOOLONG'
          ? 'its path is longer than the system takes'
          : 'it cannot be looked at';
    throw new InvalidInputError([
      { message: `cannot read the working directory: ${describeIoError(error)}: ${why}; run rxdag from a folder that exists` },
    ]);
  }
}
