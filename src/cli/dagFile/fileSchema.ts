/**
 * The parts of a DAG file that only the CLI knows: `run` (shell command), `sleep`, `cwd` and
 * `env`, the input the built-in agents take when a task names them with `agent:`, the rule
 * that each task says how it runs, and the top-level `limits:` (`fileLimits.ts`). The fields
 * it shares with the library (`id`, `deps`, `timeoutMs`, `retry`, `priority`, `estimateMs`,
 * `weight`, `limits`, `when`, `agent`, `input`) pass through untyped here:
 * `defineDag` checks them, so each problem is reported once, by one owner. Whether a `cwd`
 * exists is not a shape: `directoryProblems` checks it.
 */
import { execFileSync } from 'node:child_process';
import { z } from 'zod';
import { MAX_TIMER_MS, TIMER_LIMIT_MESSAGE } from '../../dag/schema';
import { quoted } from '../../dag/text';
import { SHELL_AGENT, TASK_ENV } from '../agents/shellAgent';
import { SLEEP_AGENT } from '../agents/sleepAgent';
import { fileLimitsSchema } from './fileLimits';
import { unknownField } from './knownSynonyms';

const libraryField = z.unknown().optional();

/** Marks a custom issue whose message should still say the value it got. */
export const SHOW_VALUE = { showValue: true } as const;

/** Marks a custom issue about the key its path ends with (a name the mapping cannot hold), to be placed at the key. */
export const AT_KEY = { atKey: true } as const;
/** Params of a custom issue that asks for one of some fields: said only when no unknown field of the mapping was one of them misspelt. */
export const ONE_OF_KIND = { unlessMisspelt: ['run', 'sleep', 'agent'] } as const;
/** Params of an issue about a field that needs `run` (or `agent`) beside it: not said when an unknown field beside it stood for that one (`bash_command`). */
const BESIDE_RUN = { besideMisspelt: ['run'] } as const;
const BESIDE_AGENT = { besideMisspelt: ['agent'] } as const;

const sleepMs = z
  .number({ error: 'expected a number of milliseconds' })
  .finite({ error: 'must be a finite number' })
  .nonnegative({ error: 'must be >= 0' })
  .max(MAX_TIMER_MS, { error: TIMER_LIMIT_MESSAGE });

/**
 * What ends a name in the environment (`=`) or the entry itself (NUL): a name holding one would
 * reach the task changed or not at all; and the names rxdag sets for every attempt, which would
 * be overridden without a word.
 */
const envName = z.string().superRefine((name, context) => {
  const wrong =
    name === '' ? 'it is empty' : name.includes('=') ? 'it contains "="' : name.includes('\0') ? 'it contains a NUL character' : undefined;
  if (wrong !== undefined) context.addIssue({ code: 'custom', message: `invalid environment variable name ${quoted(name)}: ${wrong}` });
  else if (Object.hasOwn(TASK_ENV, name)) {
    const what = TASK_ENV[name as keyof typeof TASK_ENV];
    context.addIssue({ code: 'custom', message: `${name} is set by rxdag for every attempt (${what}); give the variable another name` });
  }
});

/**
 * The most bytes Linux passes in one argument or one environment entry (`MAX_ARG_STRLEN`: 32
 * pages, its NUL included): a shell task's command is `/bin/sh`'s one argument, so a longer one
 * would fail every attempt with E2BIG. Other systems bound only the total, which is not checked.
 * Asked of the system only for a text that may be that long (most pages are 4 KiB; some arm64
 * and ppc64 kernels have 64 KiB ones).
 */
let longestArgument: number | undefined;
function longestArgumentBytes(): number {
  if (longestArgument !== undefined) return longestArgument;
  if (process.platform !== 'linux') return (longestArgument = Number.POSITIVE_INFINITY);
  let pageBytes = 4096;
  try {
    const asked = Number(
      execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
    );
    if (Number.isSafeInteger(asked) && asked > 0) pageBytes = asked;
  } catch {
    // no getconf: the usual page
  }
  return (longestArgument = 32 * pageBytes - 1);
}

/** The fewest bytes one argument may take on any Linux: a text this short is not measured. */
const SURELY_FITS = 32 * 4096 - 1;

/** Whether `text` fits in one argument (a UTF-16 unit takes at most 3 bytes of UTF-8). */
function fitsOneArgument(text: string): boolean {
  if (text.length * 3 <= SURELY_FITS) return true;
  const bytes = Buffer.byteLength(text);
  return bytes <= SURELY_FITS || bytes <= longestArgumentBytes();
}

/** The problem of a command or variable longer than one argument or entry, in bytes. */
function tooLongMessage(what: 'command' | 'variable', text: string): string {
  const bytes = Buffer.byteLength(text).toLocaleString('en-US');
  const most = longestArgumentBytes().toLocaleString('en-US');
  return what === 'command'
    ? `the command is ${bytes} bytes, longer than the ${most} the system takes in one argument (write it to a script file and run that)`
    : `the variable is ${bytes} bytes (NAME=value), longer than the ${most} the system takes in one environment entry (write the value to a file and pass its path)`;
}

/** Each `NAME=value` entry of `env` fits in one environment entry. */
function checkEntryLengths(env: Readonly<Record<string, unknown>>, context: z.core.$RefinementCtx): void {
  for (const [name, value] of Object.entries(env)) {
    const entry = `${name}=${String(value)}`;
    if (!fitsOneArgument(entry)) context.addIssue({ code: 'custom', path: [name], message: tooLongMessage('variable', entry) });
  }
}

/** A NUL ends a string where the process starts: a command, directory or value holding one would fail every attempt. */
const noNul = (text: string) => !text.includes('\0');
const NUL_MESSAGE = { error: 'must not contain a NUL character', params: SHOW_VALUE };

/**
 * `__proto__` as a variable name: zod's record leaves the key out without a word (a JavaScript
 * object of variables would not keep it as a name either), so it is refused before.
 */
function refuseProtoName(env: unknown, context: z.core.$RefinementCtx): unknown {
  if (typeof env === 'object' && env !== null && Object.hasOwn(env, '__proto__')) {
    context.addIssue({
      code: 'custom',
      message: `invalid environment variable name "__proto__": rxdag cannot pass a variable of that name (set it in the CLI's environment)`,
    });
  }
  return env;
}

const envSchema = z.preprocess(
  refuseProtoName,
  z
    .record(
      envName,
      z.union([z.string().refine(noNul, NUL_MESSAGE), z.number(), z.boolean()], { error: 'expected a string, number or boolean value' }),
      { error: 'expected a mapping of variable names to values' },
    )
    .superRefine(checkEntryLengths),
);

/**
 * A text that is not empty. Not zod's `.min(1)`: a length check runs on any value with a length,
 * so a list (`cwd: []`) would be "empty" besides not being a text, one mistake said twice.
 */
const notEmpty = (text: string) => text !== '';
const EMPTY_MESSAGE = { error: 'must not be empty', params: SHOW_VALUE };

const cwdSchema = z.string({ error: 'expected a directory path' }).refine(notEmpty, EMPTY_MESSAGE).refine(noNul, NUL_MESSAGE);

const command = z
  .string({ error: 'expected a shell command (a string)' })
  .trim()
  .refine(notEmpty, EMPTY_MESSAGE)
  .refine(noNul, NUL_MESSAGE)
  .superRefine((text, context) => {
    if (!fitsOneArgument(text)) context.addIssue({ code: 'custom', message: tooLongMessage('command', text) });
  });

/** What `agent: shell` takes as `input` (what `run:` builds), and nothing else (a misspelt `envs` would be dropped): the shell agent refuses anything else when the task starts. */
const shellInputSchema = z.strictObject(
  {
    command,
    cwd: cwdSchema,
    env: z
      .record(envName, z.string({ error: 'expected a string' }).refine(noNul, NUL_MESSAGE), {
        error: 'expected a mapping of variable names to strings',
      })
      .superRefine(checkEntryLengths)
      .optional(),
  },
  {
    // an unknown field is named as such (with the field meant), not as a wrong mapping
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? undefined
        : 'the shell agent takes a mapping with `command` and `cwd` (or write `run:` instead of `agent: shell`)',
  },
);

/** The input each built-in agent takes, checked when the file is read so that `validate` refuses what `run` would. */
const builtinInputs: ReadonlyMap<string, z.ZodType> = new Map<string, z.ZodType>([
  [SHELL_AGENT, shellInputSchema],
  [SLEEP_AGENT, sleepMs],
]);

export const fileTaskSchema = z
  .strictObject(
    {
      id: libraryField,
      deps: libraryField,
      timeoutMs: libraryField,
      retry: libraryField,
      priority: libraryField,
      estimateMs: libraryField,
      weight: libraryField,
      limits: libraryField,
      when: libraryField,
      agent: libraryField,
      input: libraryField,
      run: command.optional(),
      sleep: sleepMs.optional(),
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
        params: ONE_OF_KIND,
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
        context.addIssue({ code: 'custom', path: [key], message: `\`${key}\` only applies to tasks with \`run\``, params: BESIDE_RUN });
      }
    }
    if (task.input !== undefined && task.agent === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['input'],
        message: '`input` only applies to tasks with `agent` (`run` and `sleep` make their own)',
        params: BESIDE_AGENT,
      });
    }
    // a task that also has `run` or `sleep` is told to keep one: its `agent`'s input is not asked for besides
    const builtin = typeof task.agent === 'string' && kinds.length === 1 ? builtinInputs.get(task.agent) : undefined;
    const input = builtin?.safeParse(task.input);
    for (const issue of input?.success === false ? input.error.issues : []) {
      const at = issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part));
      if (issue.code === 'unrecognized_keys') {
        const known = Object.keys(shellInputSchema.shape);
        for (const key of issue.keys)
          context.addIssue({ code: 'custom', path: ['input', ...at, key], message: unknownField(key, known), params: AT_KEY });
      } else if (issue.code === 'invalid_key') {
        context.addIssue({ code: 'custom', path: ['input', ...at], message: issue.issues[0]?.message ?? issue.message, params: AT_KEY });
      } else context.addIssue({ code: 'custom', path: ['input', ...at], message: issue.message, params: SHOW_VALUE });
    }
  });

/**
 * Whether `task` is a `sleep:` or `run:` task that {@link fileTaskSchema} accepts and gives back
 * unchanged (its `run` already trimmed): a check a hundred times cheaper than the schema's, for
 * the tasks of big files. Every field it allows is checked as the schema checks it; a task with
 * anything else (`agent`, `input`, `env`, an unknown field, a bad value) is left to the schema,
 * which says what is wrong. The library's fields pass through, as in the schema.
 */
export function isPlainFileTask(task: unknown): task is FileTask {
  if (typeof task !== 'object' || task === null || Array.isArray(task)) return false;
  let kinds = 0;
  let run = false;
  let cwd = false;
  for (const key in task) {
    if (!Object.prototype.hasOwnProperty.call(task, key)) return false;
    const value = (task as Record<string, unknown>)[key];
    switch (key) {
      case 'id':
      case 'deps':
      case 'timeoutMs':
      case 'retry':
      case 'priority':
      case 'estimateMs':
      case 'weight':
      case 'limits':
      case 'when':
        break;
      case 'sleep':
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIMER_MS) return false;
        kinds++;
        break;
      case 'run':
        if (typeof value !== 'string' || value === '' || value.trim() !== value || !noNul(value) || !fitsOneArgument(value)) return false;
        kinds++;
        run = true;
        break;
      case 'cwd':
        if (typeof value !== 'string' || value === '' || !noNul(value)) return false;
        cwd = true;
        break;
      default:
        return false;
    }
  }
  return kinds === 1 && (run || !cwd);
}

export const fileDefaultsSchema = z.strictObject(
  {
    timeoutMs: libraryField,
    retry: libraryField,
    priority: libraryField,
    weight: libraryField,
    limits: libraryField,
    cwd: cwdSchema.optional(),
    env: envSchema.optional(),
  },
  { error: 'expected a mapping of task defaults (`timeoutMs`, `retry`, `priority`, `weight`, `limits`, `cwd`, `env`)' },
);

export const dagFileSchema = z.strictObject(
  {
    id: libraryField,
    tasks: z.array(z.unknown(), {
      error: (issue) =>
        typeof issue.input === 'object' && issue.input !== null
          ? 'expected a list of tasks, each with its `id` inside (YAML `- id: build`, JSON `[{"id": "build"}]`), not tasks keyed by id'
          : 'expected a list of tasks',
    }),
    defaults: fileDefaultsSchema.optional(),
    limits: fileLimitsSchema.optional(),
  },
  { error: 'expected a mapping with `id` and `tasks` at the top of the file' },
);

export type FileTask = z.output<typeof fileTaskSchema>;
export type FileDefaults = z.output<typeof fileDefaultsSchema>;
export type FileEnv = z.output<typeof envSchema>;
