import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { ensureBuilt, startCli } from './support/builtCli';
import { tempDir } from './support/files';

/**
 * A stop signal while `rxdag run` sets up, before its run starts (a big DAG file parsed, a
 * journal read, a store reached): the run starts nothing, says so, and exits with the signal's
 * code; a second signal meanwhile ends it at once. The DAG file is a FIFO, so that the signal
 * comes while the CLI waits to read it: the writer's open returns once the CLI opened it.
 */
describe('rxdag run stopped before its run starts', () => {
  const tmp = tempDir();
  beforeAll(ensureBuilt, 120_000);
  afterAll(() => tmp.remove());

  const dag = JSON.stringify({ id: 'early', tasks: [{ id: 'a', run: `touch '${tmp.file('ran')}'` }] });

  /** Starts `rxdag run FIFO`, sends `signals` once it reads the FIFO, then gives it the DAG. */
  async function signalledWhileReading(name: string, signals: readonly NodeJS.Signals[]) {
    const fifo = tmp.file(`${name}.json`);
    execFileSync('mkfifo', [fifo]);
    const store = tmp.file(`${name}-store`);
    const cli = startCli(['run', fifo, '--store', store]);
    const writer = await open(fifo, 'w'); // the CLI has it open for reading: its setup is under way
    for (const signal of signals) cli.child.kill(signal);
    await writer.writeFile(dag);
    await writer.close();
    return { result: await cli.done, store };
  }

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('should start nothing on %s, say so and exit %i, no journal made', async (signal, code) => {
    const { result, store } = await signalledWhileReading(`once-${signal}`, [signal]);
    expect(result).toMatchObject({ code, signal: null, stderr: `rxdag: stopped on ${signal} before the run started: nothing ran\n` });
    expect(existsSync(store)).toBe(false);
    expect(existsSync(tmp.file('ran'))).toBe(false);
  });

  it('should end at once on a second signal while it sets up, nothing run', async () => {
    const { result, store } = await signalledWhileReading('twice', ['SIGINT', 'SIGINT']);
    expect(result).toMatchObject({ code: 130, stderr: 'rxdag: stopped on SIGINT before the run started: nothing ran\n' });
    expect(existsSync(store)).toBe(false);
    expect(existsSync(tmp.file('ran'))).toBe(false);
  });
});
