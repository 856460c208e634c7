import { lastValueFrom } from 'rxjs';
import { defineDag, runDag } from '../../src';
import { idempotencyKeyOf } from '../../src/agents/idempotencyKey';

describe('idempotency keys', () => {
  it.each([
    ['nightly-42', 'fetch', 'nightly-42/fetch'],
    ['tenant/7', 'step/1', 'tenant%2F7/step%2F1'],
    ['100%', 'a%2Fb', '100%25/a%252Fb'],
  ])('should make run %j, task %j into %j', (runId, taskId, key) => {
    expect(idempotencyKeyOf(runId, taskId)).toBe(key);
  });

  it('should give different keys to (run, task) pairs that a plain join would confuse', () => {
    const pairs: [string, string][] = [
      ['x', 'y/z'],
      ['x/y', 'z'],
      ['x%2Fy', 'z'],
      ['x', 'y%2Fz'],
      ['x/', 'y'],
      ['x', '/y'],
    ];
    const keys = pairs.map(([runId, taskId]) => idempotencyKeyOf(runId, taskId));
    expect(new Set(keys).size).toBe(pairs.length);
  });

  it('should be what an agent reads as ctx.idempotencyKey, the same in every attempt', async () => {
    const seen: string[] = [];
    const dag = defineDag({ id: 'd', tasks: [{ id: 'step/1', agent: 'work', retry: { attempts: 2, backoffMs: 0 } }] });
    await lastValueFrom(
      runDag(dag, {
        runId: 'tenant/7',
        healthCheckIntervalMs: 0,
        agents: {
          work: (ctx) => {
            seen.push(ctx.idempotencyKey);
            if (ctx.attempt === 1) throw new Error('once');
          },
        },
      }),
    );
    expect(seen).toEqual(['tenant%2F7/step%2F1', 'tenant%2F7/step%2F1']);
  });
});
