/**
 * A quick yes to the common task: an object whose own fields are among `id`, `agent`, `deps`,
 * `input`, `timeoutMs`, `priority`, `estimateMs`, `retry`, `weight` and `when`, each plainly valid. Such a task is what
 * zod's `taskSpecSchema` would accept as it is, so `validateTasks` takes it without parsing it
 * (zod builds a result object and runs a check chain per field: the largest part of validating a
 * 100k-task DAG). It says no to everything else, valid or not, and never reports a problem:
 * zod checks those and words the issues.
 */
import { idLengthFits, MAX_ATTEMPTS, MAX_TIMER_MS, MAX_WEIGHT, type TaskSpec, TRIGGER_RULES } from './schema';
import { hasControlCharacters } from './text';

/** Whether zod would accept `raw` unchanged, as far as a few typeof checks can tell. */
export function isPlainTask(raw: unknown): raw is TaskSpec {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  let hasId = false;
  for (const key in raw) {
    if (!Object.prototype.hasOwnProperty.call(raw, key)) return false;
    const value = (raw as Record<string, unknown>)[key];
    switch (key) {
      case 'id':
        if (!isId(value)) return false;
        hasId = true;
        break;
      case 'agent':
        if (value !== undefined && !isId(value)) return false;
        break;
      case 'deps':
        if (value !== undefined && !isStringArray(value)) return false;
        break;
      case 'input':
        break;
      case 'timeoutMs':
        if (value !== undefined && !(typeof value === 'number' && value > 0 && value <= MAX_TIMER_MS)) return false;
        break;
      case 'priority':
        if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value))) return false;
        break;
      case 'estimateMs':
        if (value !== undefined && !(typeof value === 'number' && value >= 0 && value <= Number.MAX_SAFE_INTEGER)) return false;
        break;
      case 'retry':
        if (value !== undefined && !isPlainRetry(value)) return false;
        break;
      case 'weight':
        if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_WEIGHT)) return false;
        break;
      case 'when':
        if (value !== undefined && !(TRIGGER_RULES as readonly unknown[]).includes(value)) return false;
        break;
      default:
        return false;
    }
  }
  return hasId;
}

/** A retry policy zod would accept as it is: `attempts` and, of the others, only plainly valid ones. */
function isPlainRetry(raw: unknown): boolean {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  let hasAttempts = false;
  for (const key in raw) {
    if (!Object.prototype.hasOwnProperty.call(raw, key)) return false;
    const value = (raw as Record<string, unknown>)[key];
    switch (key) {
      case 'attempts':
        if (!(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_ATTEMPTS)) return false;
        hasAttempts = true;
        break;
      case 'backoffMs':
      case 'maxBackoffMs':
        if (value !== undefined && !(typeof value === 'number' && value >= 0 && value <= MAX_TIMER_MS)) return false;
        break;
      case 'backoffFactor':
        if (value !== undefined && !(typeof value === 'number' && value >= 1 && Number.isFinite(value))) return false;
        break;
      default:
        return false;
    }
  }
  return hasAttempts;
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && idLengthFits(value) && !hasControlCharacters(value);
}

function isStringArray(value: unknown): value is readonly string[] {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') return false;
  return true;
}
