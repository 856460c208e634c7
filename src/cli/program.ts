import { Command, CommanderError, Option } from 'commander';
import { graphCommand } from './commands/graph';
import type { CliIo } from './commands/cliIo';
import { reportCommand } from './commands/report';
import { runCommand } from './commands/run';
import type { RawRunOptions } from './commands/runOptions';
import { DEFAULT_KILL_GRACE_MS } from './commands/runOptions';
import { validateCommand } from './commands/validate';
import { ExitCode } from './exitCodes';
import { formatProblem, InvalidInputError } from './problems';

/**
 * Runs the `rxdag` command line and resolves with the exit code; never calls `process.exit`
 * itself (except on a second Ctrl-C), so it can be driven from a test.
 */
export async function cli(argv: readonly string[], io: CliIo, version: string): Promise<number> {
  let exitCode: number = ExitCode.ok;
  // Commander actions cannot return a value: each stores its exit code here.
  const act = (command: () => number | Promise<number>) => async () => {
    exitCode = await command();
  };
  const program = buildProgram(version, io, {
    run: (file, options) => act(() => runCommand(file, options, io))(),
    validate: (file) => act(() => validateCommand(file, io))(),
    graph: (file, options) => act(() => graphCommand(file, options, io))(),
    report: (events, options) => act(() => reportCommand(events, options, io))(),
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof InvalidInputError) {
      for (const problem of error.problems) io.stderr.write(`rxdag: ${formatProblem(problem)}\n`);
      return ExitCode.invalid;
    }
    if (error instanceof CommanderError) {
      // Help and version end with 0; every usage error is an invalid option (2), not a failure (1).
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.invalid;
    }
    throw error;
  }
}

interface Actions {
  run(file: string, options: RawRunOptions): Promise<void>;
  validate(file: string): Promise<void>;
  graph(file: string, options: { format?: string }): Promise<void>;
  report(events: string, options: { output: string; dag?: string }): Promise<void>;
}

function buildProgram(version: string, io: CliIo, actions: Actions): Command {
  const program = new Command('rxdag')
    .description('Run DAGs of tasks (shell commands, sleeps) event-driven on RxJS, with live progress, an events log and an HTML report.')
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError('(run "rxdag --help" for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 all tasks succeeded, 1 a task failed, 2 invalid file or options (nothing ran), 74 an output could not be written, 130 interrupted.',
    );

  program
    .command('run')
    .description('run a DAG file (.yaml, .yml or .json)')
    .argument('<file>', 'the DAG file')
    .option('-c, --concurrency <n>', 'most tasks running at once (default: 8)')
    .addOption(new Option('--mode <mode>', 'how the scheduler notices changes').choices(['event', 'polling']).default('event'))
    .option('--poll-interval <ms>', 'poll period with --mode polling (default: 50)')
    .option('--events <out.jsonl>', 'write every event, one JSON object per line')
    .option('--report <out.html>', 'write a self-contained HTML report when the run ends')
    .option('--fail-fast', 'cancel the whole run at the first task that fails for good')
    .option('-q, --quiet', 'print only failed tasks and the final line')
    .option('--json', 'print each event as one JSON line on stdout, nothing else')
    .option('--kill-grace <ms>', `time a stopped shell task gets between SIGTERM and SIGKILL (default: ${DEFAULT_KILL_GRACE_MS})`)
    .action(actions.run);

  program
    .command('validate')
    .description('check a DAG file without running it: every problem on its own line')
    .argument('<file>', 'the DAG file')
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
    .requiredOption('-o, --output <out.html>', 'the HTML file to write')
    .option('--dag <file>', 'the DAG file of the run, to draw its real dependencies')
    .action(actions.report);

  for (const command of program.commands)
    command.exitOverride().configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  return program;
}
