import fc from 'fast-check';
import {
  isPlainJobData,
  isPlainSuccess,
  jobDataFor,
  jobDataSchema,
  MAX_JOB_CHARS,
  outcomeSchema,
  signedJobData,
} from '../../src/bullmq/jobFormat';
import { failureOutcome, settlementOf, successOutcome } from '../../src/bullmq/outcomes';
import { keyBytes } from '../../src/bullmq/signing';
import { signedAsEarlierRxdag } from './helpers';

const KEY_TEXT = '0123456789abcdef0123456789abcdef';
import { AgentError, type TaskContext } from '../../src/index';

const context: TaskContext = {
  id: 'build',
  runId: 'nightly:42',
  dagId: 'd',
  input: { command: 'echo hi' },
  upstream: { fetch: { files: 3 }, lint: null },
  attempt: 2,
  idempotencyKey: 'nightly:42/build',
  signal: new AbortController().signal,
  spawn: () => undefined,
};

/** Job data as a worker reads it: written by `jobDataFor`, through JSON. */
function travelled(extra: object = {}): Record<string, unknown> {
  return JSON.parse(JSON.stringify({ ...jobDataFor(context, 5000, 1_700_000_000_000), ...extra })) as Record<string, unknown>;
}

describe('the hand check of job data (a shortcut past zod)', () => {
  it('should accept job data as schedulers write it, signed or not, with and without a time limit', () => {
    const shapes = [
      travelled(),
      travelled({ expiresAt: 1_700_000_060_000, signature: `v2=${'ab'.repeat(32)}` }),
      JSON.parse(JSON.stringify(jobDataFor(context, undefined, 1))),
    ];
    for (const data of shapes) {
      expect(isPlainJobData(data)).toBe(true);
      expect(jobDataSchema.safeParse(data).success).toBe(true);
    }
  });

  it('should leave to zod every value the schema refuses', () => {
    const refused: Record<string, unknown> = {
      'another version': travelled({ v: 2 }),
      'an unknown field': travelled({ command: 'rm -rf /' }),
      'an own __proto__ field': JSON.parse(JSON.stringify(travelled()).replace(/^\{/, '{"__proto__":{"a":1},')),
      'a missing field': { ...travelled(), runId: undefined },
      'a text too long': travelled({ id: 'x'.repeat(4097) }),
      'a signature too long': travelled({ signature: 'x'.repeat(257) }),
      'attempt 0': travelled({ attempt: 0 }),
      'a fractional attempt': travelled({ attempt: 1.5 }),
      'an unsafe attempt': travelled({ attempt: 2 ** 53 }),
      'a zero time limit': travelled({ timeoutMs: 0 }),
      'an infinite issue time': { ...travelled(), issuedAt: Number.POSITIVE_INFINITY },
      'a NaN expiry': { ...travelled(), expiresAt: Number.NaN },
      'upstream as an array': travelled({ upstream: [] }),
      'upstream as a date': { ...travelled(), upstream: new Date(0) },
      'upstream with a symbol key': { ...travelled(), upstream: { [Symbol('x')]: 1 } },
      'an array': [travelled()],
      null: null,
    };
    for (const [what, data] of Object.entries(refused)) {
      expect([what, jobDataSchema.safeParse(data).success]).toEqual([what, false]);
      expect([what, isPlainJobData(data)]).toEqual([what, false]);
    }
  });

  it('should name the worker of a result that is not an outcome of this format, when the result names one', () => {
    const context = { queue: 'shell', prefix: 'rxdag', key: undefined };
    const otherFormat = { v: 2, ok: true, worker: 'gpu-7:1', output: 'x' };
    expect(settlementOf(context, 'r|t|1', otherFormat)).toMatchObject({
      ok: false,
      error: {
        name: 'InvalidJobError',
        message:
          'job "r|t|1" on queue "shell" finished with a result from worker "gpu-7:1" that is not an rxdag outcome of job format 1 ' +
          '(is the worker an rxdag worker of the same version? its own lines say why, if it refused the job)',
      },
    });
    expect(settlementOf(context, 'r|t|1', 'junk')).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('finished with a result that is not') },
    });
  });

  it('should accept nothing the schema refuses, whatever the fields hold', () => {
    const fields = [
      'v',
      'runId',
      'dagId',
      'id',
      'attempt',
      'idempotencyKey',
      'input',
      'upstream',
      'timeoutMs',
      'issuedAt',
      'expiresAt',
      'signature',
      'other',
    ];
    const edges = fc.constantFrom(0, -0, -1, 1.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, 'x'.repeat(4097), [], null, new Date(0));
    const changes = fc.dictionary(fc.constantFrom(...fields), fc.oneof(fc.anything(), edges, fc.double(), fc.string({ maxLength: 300 })), {
      maxKeys: 4,
    });
    fc.assert(
      fc.property(changes, fc.boolean(), (change, throughJson) => {
        const data = { ...travelled(), ...change };
        const seen = throughJson ? (JSON.parse(JSON.stringify(data) ?? 'null') as unknown) : data;
        if (isPlainJobData(seen)) expect(jobDataSchema.safeParse(seen).success).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the hand check of outcomes (a shortcut past zod)', () => {
  const key = keyBytes(KEY_TEXT, 'test');
  const success = (extra: object = {}, signedWith?: Buffer): Record<string, unknown> =>
    JSON.parse(
      JSON.stringify({
        ...successOutcome({ queue: 'shell', prefix: 'rxdag', key: signedWith }, 'r|t|1', 'host:1', { files: 3 }),
        ...extra,
      }),
    ) as Record<string, unknown>;

  it('should accept a success that spawned nothing, signed or not, with or without output', () => {
    const shapes = [
      success(),
      success({}, key),
      JSON.parse(JSON.stringify(successOutcome({ queue: 'shell', prefix: 'rxdag', key: undefined }, 'r|t|1', 'host:1', undefined))),
    ];
    for (const outcome of shapes) {
      expect(isPlainSuccess(outcome)).toBe(true);
      expect(outcomeSchema.safeParse(outcome).success).toBe(true);
    }
  });

  it('should leave failures and spawning successes to zod', () => {
    const failure = JSON.parse(
      JSON.stringify(failureOutcome({ queue: 'shell', prefix: 'rxdag', key: undefined }, 'r|t|1', 'host:1', new Error('boom'))),
    ) as unknown;
    const spawning = success({ spawned: [{ id: 'later', agent: 'noop' }] });
    for (const outcome of [failure, spawning]) {
      expect(outcomeSchema.safeParse(outcome).success).toBe(true);
      expect(isPlainSuccess(outcome)).toBe(false);
    }
  });

  it("should carry a failed attempt's retry hint, signed, and give it back on the scheduler's side", () => {
    const context = { queue: 'shell', prefix: 'rxdag', key };
    const sent = (error: unknown) => JSON.parse(JSON.stringify(failureOutcome(context, 'r|t|1', 'host:1', error))) as unknown;
    const settled = (error: unknown) => settlementOf(context, 'r|t|1', sent(error));
    expect(settled(new AgentError('429', { retryAfterMs: 1500 }))).toMatchObject({
      ok: false,
      error: { retry: true, retryAfterMs: 1500, worker: 'host:1' },
    });
    expect(settled(new AgentError('no', { retry: false }))).toMatchObject({ ok: false, error: { retry: false, retryAfterMs: undefined } });
    expect(settled(new AgentError('429', { retryAfterMs: 10, pauseLimits: true }))).toMatchObject({
      ok: false,
      error: { retryAfterMs: 10, pauseLimits: true },
    });
    expect(settled(new AgentError('429', { retryAfterMs: 10 }))).toMatchObject({ ok: false, error: { pauseLimits: false } });
    expect(sent(new Error('plain'))).toMatchObject({ error: { name: 'Error', message: 'plain', severity: 'error' } });
    expect((sent(new Error('plain')) as { error: object }).error).not.toHaveProperty('retryAfterMs');
    // a hint changed on the way is a forged result
    const forged = sent(new AgentError('429', { retryAfterMs: 1500 })) as { error: { retryAfterMs: number } };
    forged.error.retryAfterMs = 1;
    expect(settlementOf(context, 'r|t|1', forged)).toMatchObject({ ok: false, error: { name: 'UnauthorizedJobError' } });
  });

  it("should tell a result an earlier rxdag signed with this key from one of another key or forged, and from a later scheme's", () => {
    const context = { queue: 'shell', prefix: 'rxdag', key };
    const result = JSON.parse(JSON.stringify(successOutcome(context, 'r|t|1', 'host:1', 'out', undefined))) as { signature: string };
    const as = (signature: string) => settlementOf(context, 'r|t|1', { ...result, signature });
    const earlier = signedAsEarlierRxdag(KEY_TEXT, 'result', 'shell', 'r|t|1', result);
    expect(as(earlier)).toMatchObject({
      ok: false,
      error: {
        name: 'UnauthorizedJobError',
        message:
          'job "r|t|1" on queue "shell": its result: it is signed by an earlier rxdag with this key (signature v1; this scheduler checks v2): ' +
          'upgrade the worker that took it, so that schedulers and workers of a signed queue are of one version. The result names worker "host:1" (unverified).',
      },
    });
    const otherKey = signedAsEarlierRxdag('another key of 16 bytes or more', 'result', 'shell', 'r|t|1', result);
    expect(as(otherKey)).toMatchObject({
      error: {
        message: expect.stringContaining(
          'its result: it is signed the way an earlier rxdag signed, but with another key, or forged (signature v1; this scheduler checks v2).',
        ),
      },
    });
    expect(as(result.signature.replace(/^v2=/, 'v3='))).toMatchObject({
      error: {
        message: expect.stringContaining(
          'it is signed by a later rxdag, or forged (signature v3; this scheduler checks v2): upgrade this scheduler if its fleet was',
        ),
      },
    });
    // this scheme's signature that does not verify is another key's
    expect(as(`v2=${'0'.repeat(64)}`)).toMatchObject({
      error: { message: expect.stringContaining("not signed with this scheduler's key") },
    });
  });

  it('should accept nothing the schema refuses, whatever the fields hold', () => {
    const fields = ['v', 'ok', 'worker', 'output', 'spawned', 'signature', 'error', 'other'];
    const edges = fc.constantFrom(0, 1, 2, true, false, 'true', 'x'.repeat(257), 'x'.repeat(4097), [], null);
    const changes = fc.dictionary(fc.constantFrom(...fields), fc.oneof(fc.anything(), edges, fc.string({ maxLength: 300 })), {
      maxKeys: 3,
    });
    fc.assert(
      fc.property(changes, (change) => {
        const outcome = { ...success(), ...change };
        if (isPlainSuccess(outcome)) expect(outcomeSchema.safeParse(outcome).success).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('a job too large to send', () => {
  const signing = { key: undefined, signatureTtlMs: 60_000, prefix: 'rxdag', queue: 'q' };
  const contextWith = (input: unknown, upstream: Record<string, unknown>) =>
    ({ id: 'join', runId: 'r', dagId: 'd', attempt: 1, idempotencyKey: 'r/join', input, upstream }) as unknown as TaskContext;
  const messageOf = (task: TaskContext) => {
    try {
      signedJobData(task, 'r|join|1', signing);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected a JobTooLargeError');
  };
  const tooMuch = 'x'.repeat(MAX_JOB_CHARS);

  it('should name the dependencies it counts, one or several, and advise running without context injection', () => {
    expect(messageOf(contextWith(undefined, { a: tooMuch }))).toMatch(
      /\(its input and the outputs of its dependency\), more than a job may \(\d+\): keep what it is sent smaller, or run it without context injection/,
    );
    expect(messageOf(contextWith(undefined, { a: tooMuch, b: 'y' }))).toMatch(/\(its input and the outputs of its 2 dependencies\)/);
  });

  it('should not advise running without context injection a job too large by its input alone', () => {
    const message = messageOf(contextWith(tooMuch, {}));
    expect(message).toMatch(/\(its input\), more than a job may \(\d+\): keep what it is sent smaller$/);
  });
});
