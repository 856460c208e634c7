import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { DagEvent } from '../../src/index';
import { ensureBuilt, ROOT, runCli } from '../cli/support/builtCli';
import { eventLogViolations, outcomes } from '../cli/support/eventLogInvariants';
import { readEventLog, tempDir, writeText } from '../cli/support/files';

/**
 * `examples/llm-pipeline.yaml` run by the built CLI, judged from its events log alone against
 * what the file declares: no moment with more units of a limit (or of `--concurrency`) running
 * than it allows, no rate window over its limit, the weighted step alone in the run's slots,
 * clean-up after everything it depends on however that ended, the alert run exactly when a
 * dependency failed, and what was skipped with the task it was skipped because of.
 */

interface ExampleTask {
  readonly id: string;
  readonly deps?: readonly string[];
  /** Names (each taking the task's weight), or names with the units the task takes of each. */
  readonly limits?: readonly string[] | Readonly<Record<string, number>>;
  readonly weight?: number;
  readonly when?: string;
  readonly run?: string;
}
interface ExampleLimit {
  readonly concurrency?: number;
  readonly rate?: { readonly limit: number; readonly intervalMs: number };
}
interface Example {
  readonly limits: Readonly<Record<string, ExampleLimit>>;
  readonly tasks: readonly ExampleTask[];
}

const EXAMPLE = path.join(ROOT, 'examples', 'llm-pipeline.yaml');

/** The units `task` takes of limit `name`, as the file says (0 when it does not name it). */
function unitsOf(task: ExampleTask | undefined, name: string): number {
  const limits = task?.limits;
  if (limits === undefined) return 0;
  if (Array.isArray(limits)) return limits.includes(name) ? (task?.weight ?? 1) : 0;
  return (limits as Readonly<Record<string, number>>)[name] ?? 0;
}
const CONCURRENCY = 4;

/** Every moment (after each event) where running units exceed what a limit or the run's slots allow. */
function unitViolations(events: readonly DagEvent[], example: Example, slots: number): string[] {
  const tasks = new Map(example.tasks.map((task) => [task.id, task]));
  const weightOf = (id: string) => tasks.get(id)?.weight ?? 1;
  const running = new Set<string>();
  const violations: string[] = [];
  for (const event of events) {
    if (event.type === 'task.started') running.add(event.taskId);
    if (event.type === 'task.completed' || event.type === 'task.failed' || event.type === 'task.cancelled') running.delete(event.taskId);
    const units = [...running].reduce((sum, id) => sum + weightOf(id), 0);
    if (units > slots) violations.push(`seq ${event.seq}: ${units} units running, --concurrency ${slots}`);
    for (const [name, limit] of Object.entries(example.limits)) {
      const held = [...running].reduce((sum, id) => sum + unitsOf(tasks.get(id), name), 0);
      if (limit.concurrency !== undefined && held > limit.concurrency)
        violations.push(`seq ${event.seq}: ${held} units of ${name} running, concurrency ${limit.concurrency}`);
    }
  }
  return violations;
}

/** Every start after which a rate window `(at − intervalMs, at]` holds more units than its limit. */
function rateViolations(events: readonly DagEvent[], example: Example): string[] {
  const tasks = new Map(example.tasks.map((task) => [task.id, task]));
  const violations: string[] = [];
  for (const [name, { rate }] of Object.entries(example.limits)) {
    if (rate === undefined) continue;
    const starts = events.filter(
      (event): event is Extract<DagEvent, { type: 'task.started' }> =>
        event.type === 'task.started' && unitsOf(tasks.get(event.taskId), name) > 0,
    );
    for (const start of starts) {
      const inWindow = starts.filter((other) => other.at > start.at - rate.intervalMs && other.at <= start.at);
      const units = inWindow.reduce((sum, other) => sum + unitsOf(tasks.get(other.taskId), name), 0);
      if (units > rate.limit) violations.push(`${units} units of ${name} started in the ${rate.intervalMs} ms before seq ${start.seq}`);
    }
  }
  return violations;
}

/** The cells of a task's row of the report's table, as text. */
function rowOf(report: string, taskId: string): string {
  const row = new RegExp(`<tr data-task="${taskId}"[^>]*>(.*?)</tr>`).exec(report)?.[1];
  if (row === undefined) throw new Error(`no row for ${taskId} in the report`);
  return row.replace(/<[^>]*>/g, ' ');
}

/** The seq of a task's terminal event, and of its first start. */
function seqOf(events: readonly DagEvent[], taskId: string, which: 'start' | 'end'): number {
  const found = events.find(
    (event) =>
      'taskId' in event &&
      event.taskId === taskId &&
      (which === 'start' ? event.type === 'task.started' : outcomes([event])[taskId] !== undefined),
  );
  if (found === undefined) throw new Error(`no ${which} of ${taskId}`);
  return found.seq;
}

describe('examples/llm-pipeline.yaml through the CLI', () => {
  const tmp = tempDir();
  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(() => tmp.remove());

  const text = readFileSync(EXAMPLE, 'utf8');
  const example = parse(text) as Example;

  async function run(file: string, name: string): Promise<{ code: number | null; events: DagEvent[]; report: string }> {
    const log = tmp.file(`${name}.jsonl`);
    const report = tmp.file(`${name}.html`);
    const result = await runCli(['run', file, '--concurrency', String(CONCURRENCY), '--events', log, '--report', report, '--quiet']);
    return { code: result.code, events: readEventLog(log), report: readFileSync(report, 'utf8') };
  }

  it('should declare what it shows: a rate-limited api, a token budget, a weighted step, an all-done clean-up and an any-failed alert', () => {
    expect(example.limits['api']).toEqual({ concurrency: 2, rate: { limit: 60, intervalMs: 60_000 } });
    expect(example.limits['tokens']).toEqual({ rate: { limit: 40_000, intervalMs: 60_000 } });
    const byId = new Map(example.tasks.map((task) => [task.id, task]));
    expect(example.tasks.filter((task) => unitsOf(task, 'api') > 0).length).toBeGreaterThan(2);
    // one call of the api, many tokens: units per limit, which one weight could not say
    expect(example.tasks.filter((task) => unitsOf(task, 'api') === 1 && unitsOf(task, 'tokens') === 12_000).length).toBeGreaterThan(2);
    expect(byId.get('embed')?.weight).toBe(CONCURRENCY);
    expect(byId.get('cleanup')?.when).toBe('all-done');
    expect(byId.get('alert')?.when).toBe('any-failed');
  });

  it('should keep to its limits and weights, run the clean-up, and alert on the failed summary', async () => {
    const { code, events, report } = await run(EXAMPLE, 'failing');
    expect(code).toBe(1);
    expect(eventLogViolations(events)).toEqual([]);
    expect(unitViolations(events, example, CONCURRENCY)).toEqual([]);
    expect(rateViolations(events, example)).toEqual([]);
    // three api calls were ready at once: the last to start waited for one of the others to end
    const apiStarts = events.filter((event) => event.type === 'task.started' && event.taskId.startsWith('summarize-'));
    expect(apiStarts).toHaveLength(3);
    const firstApiEnd = Math.min(...['summarize-1', 'summarize-2', 'summarize-3'].map((id) => seqOf(events, id, 'end')));
    expect(apiStarts[2]!.seq).toBeGreaterThan(firstApiEnd);
    // the embedding step took every slot: nothing else ran beside it
    expect(
      seqOf(events, 'extract-metadata', 'end') < seqOf(events, 'embed', 'start') ||
        seqOf(events, 'embed', 'end') < seqOf(events, 'extract-metadata', 'start'),
    ).toBe(true);
    expect(outcomes(events)).toEqual({
      'fetch-docs': 'task.completed',
      'extract-metadata': 'task.completed',
      embed: 'task.completed',
      'summarize-1': 'task.completed',
      'summarize-2': 'task.completed',
      'summarize-3': 'task.failed',
      publish: 'task.skipped',
      cleanup: 'task.completed',
      alert: 'task.completed',
    });
    expect(events.find((event) => event.type === 'task.skipped')).toMatchObject({ taskId: 'publish', because: 'summarize-3' });
    const cleanupStart = seqOf(events, 'cleanup', 'start');
    for (const dep of example.tasks.find((task) => task.id === 'cleanup')!.deps!)
      expect(seqOf(events, dep, 'end')).toBeLessThan(cleanupStart);
    expect(events[events.length - 1]).toMatchObject({
      type: 'dag.completed',
      outcome: 'failed',
      failures: [{ taskId: 'summarize-3', attempt: 1 }],
    });
    // the report shows what each task needed and why a task was skipped
    expect(report).toContain('api: 2 at once, 60 per minute');
    expect(rowOf(report, 'embed')).toContain('weight 4');
    expect(rowOf(report, 'summarize-1')).toContain('limits api');
    expect(rowOf(report, 'cleanup')).toContain('when all-done');
    expect(rowOf(report, 'alert')).toContain('when any-failed');
    expect(rowOf(report, 'publish')).toContain('skipped: upstream task &quot;summarize-3&quot; failed');
  }, 30_000);

  it('should skip the alert, naming a dependency, and still clean up when every summary succeeds', async () => {
    const fixed = writeText(tmp.file('llm-pipeline-ok.yaml'), text.replace(/run: 'echo "model refused[^\n]*/, 'sleep: 50'));
    const { code, events, report } = await run(fixed, 'succeeding');
    expect(code).toBe(0);
    expect(eventLogViolations(events)).toEqual([]);
    expect(unitViolations(events, example, CONCURRENCY)).toEqual([]);
    expect(rateViolations(events, example)).toEqual([]);
    expect(outcomes(events)).toMatchObject({ publish: 'task.completed', cleanup: 'task.completed', alert: 'task.skipped' });
    const skipped = events.find((event) => event.type === 'task.skipped');
    expect(skipped).toMatchObject({ taskId: 'alert' });
    expect(['summarize-1', 'summarize-2', 'summarize-3']).toContain((skipped as Extract<DagEvent, { type: 'task.skipped' }>).because);
    expect(rowOf(report, 'alert')).toContain('skipped: no dependency failed (when any-failed)');
  }, 30_000);
});
