/**
 * `rxdag runs [--store …] [--json]`: the runs of a store, newest first: a table (run id, DAG,
 * status, started, took, completed/failed/skipped/total), or with `--json` one object per line
 * exactly as the library's `journal.runs()` gives it. A folder without a store is no error: it
 * says there are no runs (exit 0). A store that cannot be read or reached: one line, exit 2; a
 * run's file that cannot be read: the others listed, then one line for it on stderr, exit 2.
 * It changes nothing in the store but the lock a killed process left on a run that had ended.
 */
import { ExitCode } from '../exitCodes';
import { runsTable } from '../output/runsTable';
import { openStore, storeExists } from '../store/openStore';
import { listRuns } from '../store/runList';
import { asRefusal } from '../store/storeErrors';
import { storeLocation } from '../store/storeLocation';
import type { CliIo } from './cliIo';

/** `rxdag runs` options as commander hands them over. */
export interface RawRunsOptions {
  readonly store?: string;
  readonly json?: boolean;
}

export async function runsCommand(raw: RawRunsOptions, io: CliIo): Promise<number> {
  const location = storeLocation(raw.store, process.env);
  const none = `no runs: ${location.label} has no journal (runs are journaled there by rxdag run)`;
  // with --json, stdout holds JSON lines only: saying there are none is for stderr
  const say = (line: string) => (raw.json === true ? io.stderr : io.stdout).write(`${line}\n`);
  if (!storeExists(location)) {
    say(none);
    return ExitCode.ok;
  }
  const store = openStore(location, 'read');
  try {
    const { runs, unreadable } = await listRuns(store.journal).catch((error: unknown) => asRefusal(error, location));
    if (runs.length === 0 && unreadable.length === 0) say(location.kind === 'folder' ? none : `no runs in the store ${location.label}`);
    else if (raw.json === true) for (const run of runs) io.stdout.write(`${JSON.stringify(run)}\n`);
    else if (runs.length > 0) io.stdout.write(`${runsTable(runs).join('\n')}\n`);
    for (const error of unreadable) io.stderr.write(`rxdag: ${error.message} (left out of the list)\n`);
    return unreadable.length === 0 ? ExitCode.ok : ExitCode.invalid;
  } finally {
    await store.close();
  }
}
