import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lastValueFrom } from 'rxjs';
import { type Agent, defineDag, fileJournal, runDag } from '../../../src/index';

/**
 * Runs a program makes with the library, journaled in a store folder the CLI reads: DAG
 * `drafts`, whose `plan` (agent `planner`) spawns `summarize-1` and `summarize-2` (agent `llm`,
 * limits `provider` and `gpt-small`), and `publish` (agent `llm`) after them. Agents the
 * command line does not have, as a program's are.
 */

/** The named limits of a program's run. */
const PROGRAM_LIMITS = { provider: { concurrency: 4 }, 'gpt-small': { concurrency: 2 } } as const;

const agents: Record<string, Agent> = {
  planner: (ctx) => {
    ctx.spawn([
      { id: 'summarize-1', agent: 'llm', limits: ['provider', 'gpt-small'], weight: 2, estimateMs: 40 },
      { id: 'summarize-2', agent: 'llm', limits: ['provider', 'gpt-small'] },
    ]);
    return 'planned';
  },
  llm: ({ id }) => `text of ${id}`,
};

/** Runs `drafts` to its end in `store` (a folder), as run `runId`. */
export async function programRun(store: string, runId: string): Promise<void> {
  const dag = defineDag({
    id: 'drafts',
    tasks: [
      { id: 'plan', agent: 'planner' },
      { id: 'publish', agent: 'llm', deps: ['plan'], limits: ['provider'] },
    ],
  });
  await lastValueFrom(runDag(dag, { agents, limits: PROGRAM_LIMITS, journal: fileJournal(store), runId, healthCheckIntervalMs: 0 }));
}

/**
 * A program's run left interrupted in `store` as run `runId`: the journal of a whole run (made
 * in `scratch`) up to the first event `cutAfter` matches, as a process killed then leaves it
 * (no lock: its owner is gone).
 */
export async function interruptedProgramRun(
  store: string,
  scratch: string,
  runId: string,
  cutAfter: (line: string) => boolean = (line) => line.includes('"tasks.spawned"'),
): Promise<string> {
  await programRun(scratch, runId);
  const lines = readFileSync(path.join(scratch, `${runId}.jsonl`), 'utf8').split('\n');
  const cut = lines.findIndex((line, index) => index > 0 && cutAfter(line));
  if (cut < 0) throw new Error(`no event of run ${runId} to cut the journal after`);
  mkdirSync(store, { recursive: true });
  const journal = path.join(store, `${runId}.jsonl`);
  writeFileSync(journal, `${lines.slice(0, cut + 1).join('\n')}\n`);
  return journal;
}
