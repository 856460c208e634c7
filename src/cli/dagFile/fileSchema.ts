import { z } from 'zod';

/**
 * The parts of a DAG file that only the CLI knows: `run` (shell command), `sleep`, `cwd` and
 * `env`, and the rule that each task says how it runs. The fields it shares with the library
 * (`id`, `deps`, `timeoutMs`, `retry`, `priority`, `estimateMs`, `agent`, `input`) pass through
 * untyped here: `defineDag` checks them, so each problem is reported once, by one owner.
 */

const libraryField = z.unknown().optional();

const envSchema = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean value' }),
  { error: 'expected a mapping of variable names to values' },
);

const cwdSchema = z.string({ error: 'expected a directory path' }).min(1, { error: 'must not be empty' });

export const fileTaskSchema = z
  .strictObject(
    {
      id: libraryField,
      deps: libraryField,
      timeoutMs: libraryField,
      retry: libraryField,
      priority: libraryField,
      estimateMs: libraryField,
      agent: libraryField,
      input: libraryField,
      run: z.string({ error: 'expected a shell command (a string)' }).trim().min(1, { error: 'must not be empty' }).optional(),
      sleep: z
        .number({ error: 'expected a number of milliseconds' })
        .finite({ error: 'must be a finite number' })
        .nonnegative({ error: 'must be >= 0' })
        .optional(),
      cwd: cwdSchema.optional(),
      env: envSchema.optional(),
    },
    { error: 'expected a task: a mapping with `id` and one of `run`, `sleep` or `agent`' },
  )
  .superRefine((task, context) => {
    const kinds = (['run', 'sleep', 'agent'] as const).filter((key) => task[key] !== undefined);
    if (kinds.length === 0) {
      context.addIssue({
        code: 'custom',
        path: [],
        message: 'a task needs one of `run` (a shell command), `sleep` (milliseconds) or `agent`',
      });
    } else if (kinds.length > 1) {
      context.addIssue({
        code: 'custom',
        path: [kinds[1]!],
        message: `give only one of \`run\`, \`sleep\` or \`agent\` (this task has ${kinds.map((k) => `\`${k}\``).join(' and ')})`,
      });
    }
    for (const key of ['cwd', 'env'] as const) {
      if (task[key] !== undefined && task.run === undefined) {
        context.addIssue({ code: 'custom', path: [key], message: `\`${key}\` only applies to tasks with \`run\`` });
      }
    }
    if (task.input !== undefined && task.agent === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['input'],
        message: '`input` only applies to tasks with `agent` (`run` and `sleep` make their own)',
      });
    }
  });

export const fileDefaultsSchema = z.strictObject(
  {
    timeoutMs: libraryField,
    retry: libraryField,
    priority: libraryField,
    cwd: cwdSchema.optional(),
    env: envSchema.optional(),
  },
  { error: 'expected a mapping of task defaults (`timeoutMs`, `retry`, `priority`, `cwd`, `env`)' },
);

export const dagFileSchema = z.strictObject(
  {
    id: libraryField,
    tasks: z.array(z.unknown(), { error: 'expected a list of tasks' }),
    defaults: fileDefaultsSchema.optional(),
  },
  { error: 'expected a mapping with `id` and `tasks` at the top of the file' },
);

export type FileTask = z.output<typeof fileTaskSchema>;
export type FileDefaults = z.output<typeof fileDefaultsSchema>;
export type FileEnv = z.output<typeof envSchema>;
