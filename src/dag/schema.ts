import { z } from 'zod';

/** Longest task or DAG id accepted; ids are names, not payloads. */
export const MAX_ID_LENGTH = 256;
/** Most attempts a retry policy may ask for. */
export const MAX_ATTEMPTS = 1000;

const id = z
  .string({ error: 'expected a string id' })
  .min(1, { error: 'must not be empty' })
  .max(MAX_ID_LENGTH, { error: `must be at most ${MAX_ID_LENGTH} characters` });

const nonNegativeMs = z
  .number({ error: 'expected a number of milliseconds' })
  .finite({ error: 'must be a finite number' })
  .nonnegative({ error: 'must be >= 0' });

const positiveMs = z
  .number({ error: 'expected a number of milliseconds' })
  .finite({ error: 'must be a finite number' })
  .positive({ error: 'must be > 0' });

/** A retry policy: `attempts` counts every attempt, the first included. */
export const retrySchema = z.strictObject({
  attempts: z
    .number({ error: 'expected an integer number of attempts' })
    .int({ error: 'must be an integer' })
    .min(1, { error: 'must be at least 1 (the first attempt counts)' })
    .max(MAX_ATTEMPTS, { error: `must be at most ${MAX_ATTEMPTS}` }),
  backoffMs: nonNegativeMs.optional(),
  backoffFactor: z
    .number({ error: 'expected a number' })
    .finite({ error: 'must be a finite number' })
    .min(1, { error: 'must be >= 1' })
    .optional(),
  maxBackoffMs: nonNegativeMs.optional(),
});

/** One task of a DAG spec, as a user writes it. */
export const taskSpecSchema = z.strictObject({
  id,
  deps: z.array(z.string({ error: 'expected a task id' }), { error: 'expected an array of task ids' }).optional(),
  agent: id.optional(),
  input: z.unknown().optional(),
  timeoutMs: positiveMs.optional(),
  retry: retrySchema.optional(),
  priority: z.number({ error: 'expected a number' }).finite({ error: 'must be a finite number' }).optional(),
  estimateMs: nonNegativeMs.optional(),
});

/** Defaults applied to every task that does not set the field itself. */
export const taskDefaultsSchema = z.strictObject({
  agent: id.optional(),
  timeoutMs: positiveMs.optional(),
  retry: retrySchema.optional(),
  priority: z.number().finite({ error: 'must be a finite number' }).optional(),
});

/** A whole DAG spec: an id, its tasks, and optional run-level defaults. */
export const dagSpecSchema = z.strictObject({
  id,
  tasks: z.array(z.unknown(), { error: 'expected an array of tasks' }),
  defaults: taskDefaultsSchema.optional(),
});

export type RetrySpec = z.input<typeof retrySchema>;
export type TaskSpec = Omit<z.input<typeof taskSpecSchema>, 'deps'> & { readonly deps?: readonly string[] };
export type TaskDefaults = z.input<typeof taskDefaultsSchema>;
/** The input of `defineDag`. */
export interface DagSpec {
  readonly id: string;
  readonly tasks: readonly TaskSpec[];
  readonly defaults?: TaskDefaults;
}
