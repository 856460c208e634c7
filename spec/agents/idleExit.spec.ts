import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * The timer that frees an idle pooled instance (`idleMs`, 30 s by default) keeps no process
 * alive: a program whose scheduler ran its last run and was not shut down exits at once, as
 * it does with `runDag`. Run against the built package (`dist/`), as a program uses it.
 */
describe('an idle pooled instance', () => {
  it.each([
    ['the default scheduler', 'undefined'],
    ['asapScheduler', 'require("rxjs").asapScheduler'],
    ['queueScheduler', 'require("rxjs").queueScheduler'],
    [
      'a scheduler of its own on the real clock',
      '{ now: () => Date.now(), schedule: (work, delay, state) => require("rxjs").asyncScheduler.schedule(work, delay, state) }',
    ],
  ])('should not keep the process running for idleMs after the last run of a scheduler left without shutdown, on %s', (_, scheduler) => {
    const entry = path.join(__dirname, '../../dist/index.js');
    const program = `
      const { createScheduler, defineAgent } = require(${JSON.stringify(entry)});
      const { lastValueFrom } = require('rxjs');
      const scheduler = createScheduler({
        scheduler: ${scheduler},
        agents: { llm: defineAgent({ capacity: 2, create: () => ({}), dispose: () => undefined, run: async () => 'ok' }) },
      });
      lastValueFrom(scheduler.submit({ id: 'd', tasks: [{ id: 'a', agent: 'llm' }] })).then((last) => console.log(last.outcome));
    `;
    const started = Date.now();
    const child = spawnSync(process.execPath, ['-e', program], { encoding: 'utf8', timeout: 15_000, cwd: path.join(__dirname, '../..') });
    expect({ status: child.status, signal: child.signal, stdout: child.stdout, stderr: child.stderr }).toEqual({
      status: 0,
      signal: null,
      stdout: 'succeeded\n',
      stderr: '',
    });
    expect(Date.now() - started).toBeLessThan(10_000); // the idle timer is 30 s
  });
});
