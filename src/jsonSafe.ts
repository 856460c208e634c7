/**
 * JSON safety of values that travel in events (agent outputs, spawned task inputs): plain
 * objects, arrays, strings, booleans, null and finite numbers, not nested deeper than
 * {@link MAX_JSON_DEPTH}, without cycles. Hostile values (throwing getters, revoked proxies)
 * are problems, never crashes.
 * It checks and copies; it never changes the value it was given.
 */

/** Deepest nesting accepted; deeper values would overflow `JSON.stringify` or a reader's parser. */
export const MAX_JSON_DEPTH = 1000;

export type JsonCheck = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string };

/**
 * A frozen deep copy of `value` when it is JSON-safe, else the first problem with its path
 * (`$.rows[3].at is a Date …`). The copy means an agent that keeps mutating the object it
 * returned cannot change an event or a state already emitted.
 */
export function toJsonSafe(value: unknown): JsonCheck {
  try {
    return { ok: true, value: copy(value, '$', 0, new Set()) };
  } catch (error) {
    if (error instanceof JsonProblem) return { ok: false, problem: error.message };
    return { ok: false, problem: `$ could not be read (${describeThrown(error)})` };
  }
}

/** The first JSON-safety problem of `value`, or `undefined` when it is safe. */
export function jsonSafetyProblem(value: unknown): string | undefined {
  const check = toJsonSafe(value);
  return check.ok ? undefined : check.problem;
}

class JsonProblem extends Error {}

function copy(value: unknown, path: string, depth: number, ancestors: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value)) return value;
      throw new JsonProblem(`${path} is ${value}`);
    case 'undefined':
      throw new JsonProblem(`${path} is undefined (inside an array)`);
    case 'bigint':
      throw new JsonProblem(`${path} is a BigInt`);
    case 'symbol':
      throw new JsonProblem(`${path} is a symbol`);
    case 'function':
      throw new JsonProblem(`${path} is a function`);
  }
  if (value === null) return null;
  const object = value as object;
  if (depth >= MAX_JSON_DEPTH) throw new JsonProblem(`${path} is nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (ancestors.has(object)) throw new JsonProblem(`${path} is a circular reference`);
  ancestors.add(object);
  let result: unknown;
  if (Array.isArray(object)) {
    const array: unknown[] = new Array<unknown>(object.length);
    for (let i = 0; i < object.length; i++) array[i] = copy(object[i], `${path}[${i}]`, depth + 1, ancestors);
    result = Object.freeze(array);
  } else {
    const proto: unknown = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) {
      const name = (object as { constructor?: { name?: unknown } }).constructor?.name;
      throw new JsonProblem(
        `${path} is a ${typeof name === 'string' ? name : 'object'} (only plain objects, arrays and primitives are JSON-safe)`,
      );
    }
    const record: Record<string, unknown> = {};
    for (const key of Object.keys(object)) {
      const child = (object as Record<string, unknown>)[key];
      if (child === undefined) continue; // JSON drops it too
      const copied = copy(child, `${path}.${key}`, depth + 1, ancestors);
      // defined, not assigned, when the key is `__proto__` (assigning would set the prototype)
      if (key === '__proto__') Object.defineProperty(record, key, { value: copied, enumerable: true, writable: true, configurable: true });
      else record[key] = copied;
    }
    result = Object.freeze(record);
  }
  ancestors.delete(object);
  return result;
}

function describeThrown(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : 'a non-Error was thrown';
  } catch {
    return 'reading it threw';
  }
}
