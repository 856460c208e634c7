/**
 * A journaled service: its runs are kept in a file journal, SIGTERM (a deploy, `systemctl stop`,
 * Ctrl-C) leaves them `interrupted` instead of cancelled, and at its next start it resumes every
 * interrupted run of the journal (not those `rxdag run` made in the same folder: `rxdag resume`
 * goes on with those), without running again the tasks that had completed. A record
 * that cannot be trusted (`JournalCorruptError`) is reported and left; the other runs go on.
 *
 * Run it: npx tsx examples/durable.ts [folder]   (default: rxdag-durable-example in the OS temp
 * folder). Stop it while `transform` runs (Ctrl-C or `kill <pid>`), start it again: the run goes
 * on from where it was. Unlike the other examples, this file is a program: it runs when started.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Agent, createScheduler, type DagEvent, defineDag, fileJournal, JournalCorruptError, RunInterruptedError } from 'rxdag';
import type { Observable } from 'rxjs';

const folder = process.argv[2] ?? path.join(os.tmpdir(), 'rxdag-durable-example');
const journal = fileJournal(folder);

const reportDag = defineDag({
  id: 'nightly-report',
  tasks: [
    { id: 'fetch-orders', agent: 'step', input: { ms: 100 } },
    { id: 'fetch-customers', agent: 'step', input: { ms: 100 } },
    { id: 'transform', deps: ['fetch-orders', 'fetch-customers'], agent: 'step', input: { ms: 3000 } },
    { id: 'publish', deps: ['transform'], agent: 'step', input: { ms: 100 } },
  ],
});

/** Each step takes its time, and stops at once when its run is stopped (`signal`). */
const step: Agent = async ({ id, attempt, input, signal }) => {
  console.log(`  running ${id} (attempt ${attempt})`);
  await sleep((input as { ms: number }).ms, undefined, { signal });
  return `${id} done`;
};

const scheduler = createScheduler({ agents: { step }, journal });

/** Follows one run to its end, printing what matters; never rejects: one run's failure stops no other. */
function follow(runId: string, run: Observable<DagEvent>): Promise<void> {
  return new Promise((done) =>
    run.subscribe({
      next: (event) => {
        if (event.type === 'run.resumed')
          console.log(`  resumed after seq ${event.resumedAfterSeq}; again: ${event.interrupted.join(', ') || 'none'}`);
        if (event.type === 'task.completed') console.log(`  completed ${event.taskId}`);
        if (event.type === 'dag.completed') console.log(`run ${runId} ${event.outcome}`);
      },
      error: (error: unknown) => {
        if (error instanceof RunInterruptedError) console.log(`run ${runId} interrupted: start again to resume it`);
        else if (error instanceof JournalCorruptError)
          console.log(`run ${runId} not resumed, its record cannot be trusted: ${error.message}`);
        else console.log(`run ${runId} stopped: ${String(error)}`);
        done();
      },
      complete: done,
    }),
  );
}

process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));

async function stop(signal: string): Promise<void> {
  console.log(`${signal}: interrupting the runs`);
  // the runs' records stay as they are, `interrupted`; their tasks' signals abort
  await scheduler.shutdown({ interrupt: true });
}

async function main(): Promise<void> {
  console.log(`journal: ${journal.location} (process ${process.pid})`);
  const runs = await journal.runs({ onUnreadable: (error) => console.log(`left out: ${error.message}`) });
  const interrupted: (typeof runs)[number][] = [];
  for (const run of runs) {
    if (run.status !== 'interrupted') continue;
    // a run `rxdag run` made (its shell and sleep agents) is for `rxdag resume`, in a folder both use
    const header = await journal.header(run.runId).catch((error: unknown) => console.log(`left out: ${String(error)}`));
    if (header === undefined || header.options.metadata?.['madeBy'] === 'rxdag run') continue;
    interrupted.push(run);
  }
  const following = interrupted.map((run) => {
    console.log(`resuming ${run.runId} (${run.counts.completed} of ${run.counts.total} tasks completed)`);
    return follow(run.runId, scheduler.resume(run.runId));
  });
  if (interrupted.length === 0) {
    const runId = `report-${Date.now()}`;
    console.log(`starting ${runId}`);
    following.push(follow(runId, scheduler.submit(reportDag, { runId })));
  }
  await Promise.all(following);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
