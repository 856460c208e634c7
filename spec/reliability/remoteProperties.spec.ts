import fc from 'fast-check';
import { describeRedis } from '../support/redis';
import { propertyParameters, testTimeout } from './support/config';
import { totals } from './support/observation';
import { executeRemote } from './support/remoteHarness';
import { remoteViolationsOf } from './support/remoteInvariants';
import { UNIT_MS } from './support/remoteScale';
import { multiScenarioArb, type MultiScenario, singleScenarioArb, type SingleScenario } from './support/scenario';

/**
 * The property-based invariant suite in its remote mode: scenarios from the same generator as
 * `properties.spec.ts` (random DAGs, misbehaving agents, retry policies and the retry hints of
 * agents' errors, time limits, named limits, weights, trigger rules, cancellations, several runs
 * on one scheduler with shutdowns), with every agent kind served through `remoteAgent` → BullMQ
 * → `startWorker` (two workers in this process, a Redis key prefix per scenario, closed and
 * deleted after it), in real time: each generated millisecond lasts `UNIT_MS` real ones. Fewer runs than in virtual time, since each
 * takes real time. The invariants, and which of them hold with a real-time tolerance or in a
 * remote form, are in `support/remoteInvariants.ts`. A failure prints fast-check's seed, path
 * and counterexample (in generated ms), then every violation, times shown from the scenario's start.
 */

const SINGLE = 14;
const MULTI = 5;
const HINTED = 10;
/** Real-time limits per property at the default scale: a few times what each takes on a busy 2-core machine. */
const SINGLE_LIMIT = 45_000;
const MULTI_LIMIT = 25_000;
const HINTED_LIMIT = 25_000;

describeRedis('scheduler invariants with remote attempts on BullMQ workers (real time)', (env) => {
  let scenarios = 0;

  async function holds(scenario: SingleScenario | MultiScenario): Promise<void> {
    const prefix = `${env.prefix}-${++scenarios}`;
    const observation = await executeRemote(scenario, { url: env.url, prefix, client: env.client });
    const violations = remoteViolationsOf(observation);
    if (violations.length > 0) {
      throw new Error(
        `${violations.length} invariant violation(s) with remote attempts (durations ×${UNIT_MS} ms, times from the scenario's start, Redis prefix ${prefix}):\n  ${violations.join('\n  ')}`,
      );
    }
  }

  it(
    'should hold for single runs of up to 12 tasks whose attempts run on workers',
    async () => {
      await fc.assert(
        fc.asyncProperty(singleScenarioArb({ maxTasks: 12, mode: 'any', spawning: true }), holds),
        propertyParameters(SINGLE, SINGLE_LIMIT),
      );
    },
    testTimeout(SINGLE_LIMIT),
  );

  it(
    'should hold for several runs at once on one scheduler, with shutdowns, whose attempts run on workers',
    async () => {
      await fc.assert(fc.asyncProperty(multiScenarioArb({ maxTasks: 6 }), holds), propertyParameters(MULTI, MULTI_LIMIT));
    },
    testTimeout(MULTI_LIMIT),
  );

  it(
    "should hold for several runs at once whose agents' errors often ask for no retry, a wait, or a pause of their limits, on workers",
    async () => {
      await fc.assert(fc.asyncProperty(multiScenarioArb({ maxTasks: 6, hints: 'often' }), holds), propertyParameters(HINTED, HINTED_LIMIT));
    },
    testTimeout(HINTED_LIMIT),
  );

  it('should have run every generated scenario to its end', () => {
    // as many as the properties asked for, at the scale of RXDAG_PROPERTY_RUNS
    const planned = [SINGLE, MULTI, HINTED].reduce((sum, cases) => sum + propertyParameters(cases).numRuns!, 0);
    expect(scenarios).toBeGreaterThanOrEqual(planned);
    expect(totals.runs).toBeGreaterThanOrEqual(planned);
  });

  afterAll(() => {
    if (process.env.RXDAG_PROPERTY_STATS === '1') {
      process.stdout.write(
        `remote property suite: ${scenarios} scenarios, ${totals.runs} runs, ${totals.tasks} tasks, ${totals.attempts} attempts on workers, ${totals.events} events checked; ` +
          `outcomes: ${totals.succeeded} succeeded, ${totals.failed} failed, ${totals.cancelled} cancelled; ` +
          `retry hints: ${totals.askedNoRetry} tasks failed early as asked, ${totals.askedWaits} retries waited as asked, ${totals.pauses} pauses of limits (${totals.pausedStarts} starts waited for one)\n`,
      );
    }
  });
});
