import { ensureBuilt, startCli } from './support/builtCli';
import { startFakePushgateway } from './support/fakePushgateway';
import { tempDir, writeText } from './support/files';
import { waitUntil } from './support/journaledRuns';

/**
 * A stop signal once the run has ended, while `rxdag run` closes down (here its metrics push, to a
 * gateway that never answers): the command says so and keeps the run's own exit code; a second
 * signal ends it at once, with that code, saying so. Without a listener then, Node's default ended it with
 * 128 + the signal's number, saying nothing, though the run had ended.
 */
describe('rxdag run stopped once its run has ended', () => {
  const tmp = tempDir();
  beforeAll(ensureBuilt, 120_000);
  afterAll(() => tmp.remove());

  it.each(['SIGINT', 'SIGTERM'] as const)(
    "should keep the run's own exit code on %s while it pushes its metrics, and end at once with it on a second one",
    async (signal) => {
      const gateway = await startFakePushgateway({ kind: 'never' });
      try {
        const dag = writeText(tmp.file(`failing-${signal}.yaml`), 'id: failing\ntasks:\n  - { id: a, run: "exit 1" }\n');
        const run = startCli(['run', dag, '--store', tmp.file(`store-${signal}`), '--metrics-push', gateway.url]);
        await waitUntil(() => gateway.received() === 1, 'the push to begin');
        run.child.kill(signal);
        await waitUntil(() => run.stderrSoFar().includes('closing down'), 'the command to say it closes down');
        const secondAt = Date.now();
        run.child.kill(signal);
        const result = await run.done;
        // ended by the second signal ('cut short' below), at once: not by the push's own limit of 5 s
        expect(Date.now() - secondAt).toBeLessThan(4000);
        expect(result).toMatchObject({ code: 1, signal: null });
        expect(result.stderr).toContain(
          `rxdag: stopping on ${signal}: the run had ended; closing down (a second signal ends rxdag at once)\n`,
        );
        expect(result.stderr).toContain(`rxdag: stopping at once on ${signal}: closing down cut short\n`);
        expect(result.stdout).toMatch(/dag\.completed failed/);
      } finally {
        await gateway.close();
      }
    },
    20_000,
  );
});
