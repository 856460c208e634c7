import { readFileSync } from 'node:fs';
import { tempDir } from '../support/files';
import { rxdagInProcess as rxdag } from '../support/inProcessCli';
import { programRun } from '../support/programRuns';

/**
 * `rxdag show` of a run whose tasks spawned tasks: a spawned task's rules (`limits`, `weight`)
 * and estimate come from its `tasks.spawned` event, as a defined task's come from the DAG, in
 * the table, in `--json` (with the task that spawned it) and in the report.
 */
describe('rxdag show of a run that spawned tasks', () => {
  const tmp = tempDir();
  const store = tmp.file('store');
  const runId = 'drafts-1';
  beforeAll(() => programRun(store, runId));
  afterAll(() => tmp.remove());

  it("should give a spawned task's rules and estimate in the table, as a defined task's", async () => {
    const shown = await rxdag('show', runId, '--store', store);
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    const rows = shown.stdout.trimEnd().split('\n').slice(-5);
    expect(rows[0]).toMatch(/^TASK +STATE +STARTED +TOOK +ATTEMPTS +SPAWNED BY +ESTIMATE +RULES$/);
    // state, then when it started, how long it took and its attempts, then the task that spawned it
    const ran = (id: string) => `^${id} +completed +\\+[\\d.]+ m?s +[\\d.]+ m?s +1 +`;
    expect(rows.slice(1)).toEqual([
      expect.stringMatching(new RegExp(`${ran('plan')}-$`)),
      expect.stringMatching(new RegExp(`${ran('publish')}- +limits provider$`)),
      expect.stringMatching(new RegExp(`${ran('summarize-1')}plan +40 ms +limits provider, gpt-small · weight 2$`)),
      expect.stringMatching(new RegExp(`${ran('summarize-2')}plan +- +limits provider, gpt-small$`)),
    ]);
  });

  it('should give them in --json too, with the task that spawned each', async () => {
    const shown = await rxdag('show', runId, '--store', store, '--json');
    const tasks = (JSON.parse(shown.stdout) as { tasks: Record<string, unknown>[] }).tasks;
    expect(tasks).toEqual([
      expect.not.objectContaining({ spawnedBy: expect.anything() }),
      expect.objectContaining({ id: 'publish', limits: ['provider'] }),
      expect.objectContaining({ id: 'summarize-1', limits: ['provider', 'gpt-small'], weight: 2, estimateMs: 40, spawnedBy: 'plan' }),
      expect.objectContaining({ id: 'summarize-2', limits: ['provider', 'gpt-small'], spawnedBy: 'plan' }),
    ]);
    expect(tasks[1]).not.toHaveProperty('spawnedBy');
    expect(tasks[3]).not.toHaveProperty('weight');
  });

  it("should give a spawned task's rules and estimate in the report's table", async () => {
    const report = tmp.file('drafts.html');
    expect(await rxdag('show', runId, '--store', store, '--report', report)).toMatchObject({ code: 0 });
    const html = readFileSync(report, 'utf8');
    const row = (id: string) => new RegExp(`<tr data-task="${id}" class="completed">(.*?)</tr>`).exec(html)?.[1];
    expect(row('summarize-1')).toContain('<td>limits provider, gpt-small · weight 2</td><td>40 ms</td>');
    expect(row('summarize-2')).toContain('<td>limits provider, gpt-small</td><td></td>');
    expect(row('publish')).toContain('<td>limits provider</td><td></td>');
  });
});
