import { loadDagFile } from '../dagFile/loadDagFile';
import { ExitCode } from '../exitCodes';
import { toDot } from '../graph/dot';
import { toMermaid } from '../graph/mermaid';
import { InvalidInputError } from '../problems';
import type { CliIo } from './cliIo';
import { builtinAgents } from '../agents/builtinAgents';
import { fileRunCheck } from './checkFileRun';

const FORMATS = { mermaid: toMermaid, dot: toDot } as const;

/** `rxdag graph FILE [--format mermaid|dot]`: prints the DAG of a valid file (Mermaid by default). */
export function graphCommand(file: string, options: { readonly format?: string }, io: CliIo): number {
  const format = options.format ?? 'mermaid';
  if (format !== 'mermaid' && format !== 'dot') {
    throw new InvalidInputError([{ message: `--format must be "mermaid" or "dot" (got ${JSON.stringify(format)})` }]);
  }
  // the same checks as `run`, so a graph is only drawn for a runnable file
  // a graph runs nothing: no task is too heavy for it, whatever -c a run of it will have
  const loaded = loadDagFile(file, { checkRun: fileRunCheck(builtinAgents(0).agents, ANY_CONCURRENCY) });
  io.stdout.write(FORMATS[format](loaded.dag));
  return ExitCode.ok;
}

/** A concurrency no task's weight exceeds (weights are at most `MAX_WEIGHT`). */
const ANY_CONCURRENCY = Number.MAX_SAFE_INTEGER;
