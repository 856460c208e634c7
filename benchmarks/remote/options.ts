/**
 * The command line of `npm run bench:remote` (`benchmarks/remote.ts`): its flags, the documented
 * run's defaults, and where a run's results go. It parses; the script measures.
 */
import * as path from 'node:path';
import type { LibKind } from '../journal/lib';
import { integerOf, UsageError } from '../usage';

export interface Cli {
  tasks: number;
  workers: number[];
  rounds: number;
  chain: number;
  concurrency: number;
  redis: string;
  /** `--out`, or `undefined`: see {@link resultsFile}. */
  out: string | undefined;
  role: string | undefined;
  prefix: string;
  lib: LibKind;
}

/** The flags `parseArgs` takes, each with a value. */
const FLAGS = ['--tasks', '--workers', '--rounds', '--chain', '--concurrency', '--redis', '--out', '--role', '--prefix', '--lib'];

/** The documented run, whose results are the committed `results/remote.json`. */
export const DEFAULTS = {
  tasks: 10_000,
  workers: [1, 2, 4],
  rounds: 5,
  chain: 200,
  concurrency: 8,
  redis: 'redis://127.0.0.1:6379',
  lib: 'dist',
} as const;

/** The options of `argv` (the script's arguments), or a {@link UsageError} naming the first bad one. */
export function parseArgs(argv: readonly string[]): Cli {
  const cli: Cli = { ...DEFAULTS, workers: [...DEFAULTS.workers], out: undefined, role: undefined, prefix: '' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i]!, argv[i + 1]];
    if (!FLAGS.includes(flag)) throw new UsageError(`unknown option \`${flag}\` (see benchmarks/remote.ts)`);
    if (value === undefined) throw new UsageError(`\`${flag}\` needs a value`);
    if (flag === '--tasks') cli.tasks = integerOf(flag, value);
    else if (flag === '--workers') {
      cli.workers = value.split(',').map(Number);
      if (cli.workers.some((count) => !Number.isInteger(count) || count < 1)) {
        throw new UsageError(`\`--workers\` takes positive integers, e.g. 1,2,4 (got ${value})`);
      }
    } else if (flag === '--rounds') cli.rounds = integerOf(flag, value);
    else if (flag === '--chain')
      cli.chain = integerOf(flag, value, 2); // a latency is from one link to the next
    else if (flag === '--concurrency') cli.concurrency = integerOf(flag, value);
    else if (flag === '--redis') cli.redis = value;
    else if (flag === '--out') cli.out = path.resolve(value);
    else if (flag === '--role') cli.role = value;
    else if (flag === '--prefix') cli.prefix = value;
    else if (flag === '--lib') {
      if (value !== 'src' && value !== 'dist') throw new UsageError(`\`--lib\` takes src or dist (got ${value})`);
      cli.lib = value;
    } else throw new UsageError(`unknown option \`${flag}\` (see benchmarks/remote.ts)`);
  }
  return cli;
}

/** Whether the run is the documented one (the prefix aside): only it may replace `results/remote.json`. */
export function isDefaultRun(cli: Cli): boolean {
  return (
    cli.tasks === DEFAULTS.tasks &&
    cli.workers.join(',') === DEFAULTS.workers.join(',') &&
    cli.rounds === DEFAULTS.rounds &&
    cli.chain === DEFAULTS.chain &&
    cli.concurrency === DEFAULTS.concurrency &&
    cli.redis === DEFAULTS.redis &&
    cli.lib === DEFAULTS.lib
  );
}

/** `--out`, else `results/remote.json` for the default run and `results/remote-partial/remote.json` for any other. */
export function resultsFile(cli: Cli): string {
  return cli.out ?? path.join(__dirname, '..', 'results', isDefaultRun(cli) ? 'remote.json' : path.join('remote-partial', 'remote.json'));
}
