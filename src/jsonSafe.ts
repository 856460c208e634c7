/**
 * JSON safety of values that travel in events (agent outputs, spawned task inputs): plain
 * objects, arrays, strings, booleans, null and finite numbers, not nested deeper than
 * {@link MAX_JSON_DEPTH}, without cycles, whose JSON text a line a reader reads back can hold ({@link MAX_JSON_BYTES}).
 * Hostile values (throwing getters, revoked proxies) are problems, never crashes.
 * It checks and copies; it never changes the value it was given, but for {@link frozenJson}'s.
 */
import { constants } from 'node:buffer';

/** Deepest nesting accepted; deeper values would overflow `JSON.stringify` or a reader's parser. */
export const MAX_JSON_DEPTH = 1000;

/**
 * Longest JSON text accepted, in bytes of UTF-8: a journal writes each event as one line, and
 * reads it back through a string Node makes from its bytes, which it refuses past the longest
 * string V8 makes in bytes (not characters: `€` is 3); less room for the rest of the event.
 */
export const MAX_JSON_BYTES = constants.MAX_STRING_LENGTH - 1024 * 1024;

/**
 * A JSON-safe copy and at most how many bytes its JSON text is (a bound that costs nothing more),
 * or the problem (`tooLong`: the value is JSON-safe, its text longer than an event carries).
 */
export type JsonCheck =
  | { readonly ok: true; readonly value: unknown; readonly atMostBytes: number }
  | { readonly ok: false; readonly problem: string; readonly tooLong?: true };

/**
 * A frozen deep copy of `value` when it is JSON-safe, else the first problem with its path
 * (`$.rows[3].at is a Date …`). The copy means an agent that keeps mutating the object it
 * returned cannot change an event or a state already emitted.
 */
export function toJsonSafe(value: unknown): JsonCheck {
  try {
    const walk: Walk = { ancestors: new Set(), chars: 0 };
    const copied = copy(value, 0, walk);
    // the count is at most 6 bytes a string's character (`\u0000`): counted exactly only when that may be too many
    const tooLong = walk.chars > MAX_JSON_BYTES ? jsonTooLong(copied) : undefined;
    return tooLong === undefined
      ? { ok: true, value: copied, atMostBytes: walk.chars }
      : { ok: false, problem: `$ ${tooLong}`, tooLong: true };
  } catch (error) {
    if (error instanceof JsonProblem) return { ok: false, problem: `${error.path()} ${error.message}` };
    return { ok: false, problem: `$ could not be read (${describeThrown(error)})` };
  }
}

/** The first JSON-safety problem of `value`, or `undefined` when it is safe. */
export function jsonSafetyProblem(value: unknown): string | undefined {
  const check = toJsonSafe(value);
  return check.ok ? undefined : check.problem;
}

/**
 * `value`, a JSON value read back (a journal's outputs), frozen all levels down as the copies of
 * {@link toJsonSafe} are, so that a resumed run hands its dependents what a live one does. A
 * value already frozen is taken as frozen all the way down (the copies are). Returns `value`.
 */
export function frozenJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  const pending: object[] = [value];
  while (pending.length > 0) {
    const next = Object.freeze(pending.pop()!) as Record<string, unknown>;
    for (const key in next) {
      const item = next[key];
      if (typeof item === 'object' && item !== null && !Object.isFrozen(item)) pending.push(item);
    }
  }
  return value;
}

/** The longest path a problem names whole; a longer one keeps its ends (a value nested 1,000 deep). */
const MAX_PATH_LENGTH = 200;

/**
 * What is wrong with a value, and where: the path is put together only for a problem, from the
 * keys each level adds on the way out (most values have none, and their elements need no path).
 */
class JsonProblem extends Error {
  private readonly keys: string[] = [];

  /** The problem is inside the element at `key` (`[3]`, `.rows`) of the value one level up. */
  within(key: string): JsonProblem {
    this.keys.push(key);
    return this;
  }

  /** `$.rows[3].at`; past {@link MAX_PATH_LENGTH} characters, its first and last keys around `…`. */
  path(): string {
    const keys = this.keys.reverse();
    const whole = `$${keys.join('')}`;
    if (whole.length <= MAX_PATH_LENGTH) return whole;
    let head = '$';
    let k = 0;
    while (k < keys.length && head.length + keys[k]!.length <= (MAX_PATH_LENGTH * 3) / 4) head += keys[k++];
    let tail = '';
    for (let last = keys.length - 1; last >= k && tail.length + keys[last]!.length <= MAX_PATH_LENGTH / 4; last--) tail = keys[last] + tail;
    return `${head}…${tail}`;
  }
}

/** What a copy has seen so far: the objects it is inside of, and at most how long its JSON text is. */
interface Walk {
  readonly ancestors: Set<object>;
  chars: number;
}

/** Why `value`'s JSON text is longer than {@link MAX_JSON_BYTES}, `undefined` when it is not. */
export function jsonTooLong(value: unknown): string | undefined {
  return bytesTooLong(jsonBytes(value));
}

/** The problem of a JSON text `bytes` long (UTF-8), as {@link jsonTooLong} says it, or `undefined` when an event carries it. */
export function bytesTooLong(bytes: number): string | undefined {
  return bytes > MAX_JSON_BYTES ? `is ${bytes} bytes long as JSON text (UTF-8), more than an event carries (${MAX_JSON_BYTES})` : undefined;
}

/**
 * The length of the JSON text of `value`, a copy {@link copy} made, in characters (UTF-16 code
 * units), without making the text (it may be too long to).
 * @internal
 */
export function jsonLength(value: unknown): number {
  return jsonSize(value, false);
}

/**
 * The length of the JSON text of `value`, a copy {@link copy} made, in bytes of UTF-8, without
 * making the text.
 * @internal
 */
export function jsonBytes(value: unknown): number {
  return jsonSize(value, true);
}

function jsonSize(value: unknown, utf8: boolean): number {
  if (typeof value === 'string') return quotedSize(value, utf8);
  if (typeof value !== 'object' || value === null) return String(value).length; // as JSON.stringify writes them: ASCII
  if (Array.isArray(value)) return value.reduce((size: number, element) => size + jsonSize(element, utf8) + 1, value.length === 0 ? 2 : 1);
  const keys = Object.keys(value);
  const record = value as Record<string, unknown>;
  return keys.reduce((size, key) => size + quotedSize(key, utf8) + 2 + jsonSize(record[key], utf8), keys.length === 0 ? 2 : 1);
}

/** Characters of a string with nothing to escape. */
const PLAIN = /^[^\u0000-\u001f"\\\ud800-\udfff]*$/;
/** Control characters JSON escapes in two characters (`\n`); the others take six (`\u0001`). */
const SHORT_ESCAPES = new Set([0x08, 0x09, 0x0a, 0x0c, 0x0d]);

/**
 * The length of `text` quoted and escaped as JSON.stringify does it (a lone surrogate as
 * `\udXXX`), in characters, or in bytes of UTF-8.
 */
function quotedSize(text: string, utf8: boolean): number {
  if (PLAIN.test(text)) return (utf8 ? Buffer.byteLength(text, 'utf8') : text.length) + 2;
  let size = 2;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20) size += SHORT_ESCAPES.has(code) ? 2 : 6;
    else if (code === 0x22 || code === 0x5c) size += 2;
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      size += utf8 ? 4 : 2; // a pair, as it is
      i++;
    } else if (code >= 0xd800 && code <= 0xdfff) size += 6;
    else size += !utf8 || code < 0x80 ? 1 : code < 0x800 ? 2 : 3;
  }
  return size;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Copies `value`, or throws the {@link JsonProblem} it has (the `depth` of the top value is 0). */
function copy(value: unknown, depth: number, walk: Walk): unknown {
  switch (typeof value) {
    case 'string':
      walk.chars += 6 * value.length + 3; // escaped, quoted, and a separator
      return value;
    case 'boolean':
      walk.chars += 6;
      return value;
    case 'number':
      walk.chars += 26; // the longest a double is written (-0.0000014371794678348244), and a separator
      if (Number.isFinite(value)) return value === 0 ? 0 : value; // -0 as JSON writes it (and a resume reads it): 0
      throw new JsonProblem(`is ${value}`);
    case 'undefined':
      throw new JsonProblem('is undefined (inside an array)');
    case 'bigint':
      throw new JsonProblem('is a BigInt');
    case 'symbol':
      throw new JsonProblem('is a symbol');
    case 'function':
      throw new JsonProblem('is a function');
  }
  walk.chars += 5;
  if (value === null) return null;
  const object = value as object;
  if (depth >= MAX_JSON_DEPTH) throw new JsonProblem(`is nested deeper than ${MAX_JSON_DEPTH} levels`);
  const { ancestors } = walk;
  if (ancestors.has(object)) throw new JsonProblem('is a circular reference');
  ancestors.add(object);
  let result: unknown;
  if (Array.isArray(object)) {
    const array: unknown[] = new Array<unknown>(object.length);
    for (let i = 0; i < object.length; i++) array[i] = copyWithin(childOf(object, i), i, depth, walk);
    result = Object.freeze(array);
  } else {
    const proto: unknown = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) throw new JsonProblem(`is ${notPlainObject(object, depth === 0)}`);
    const record: Record<string, unknown> = {};
    for (const key of Object.keys(object)) {
      const child = childOf(object, key);
      if (child === undefined) continue; // JSON drops it too
      walk.chars += 6 * key.length + 3;
      const copied = copyWithin(child, key, depth, walk);
      // defined, not assigned, when the key is `__proto__` (assigning would set the prototype)
      if (key === '__proto__') Object.defineProperty(record, key, { value: copied, enumerable: true, writable: true, configurable: true });
      else record[key] = copied;
    }
    result = Object.freeze(record);
  }
  ancestors.delete(object);
  return result;
}

/** The element at `key` of `object`; a getter (or a proxy) that throws is a problem at its path. */
function childOf(object: object, key: number | string): unknown {
  try {
    return (object as Readonly<Record<string | number, unknown>>)[key];
  } catch (error) {
    throw new JsonProblem(`could not be read (${describeThrown(error)})`).within(typeof key === 'number' ? `[${key}]` : `.${key}`);
  }
}

/** Copies the element at `key` (an array's index, an object's key) of a value at `depth`. */
function copyWithin(value: unknown, key: number | string, depth: number, walk: Walk): unknown {
  try {
    return copy(value, depth + 1, walk);
  } catch (error) {
    if (error instanceof JsonProblem) throw error.within(typeof key === 'number' ? `[${key}]` : `.${key}`);
    throw error;
  }
}

/** Why a class instance (or a generator, an Observable…) is not JSON-safe, with what to do instead where that is known. */
function notPlainObject(object: object, whole: boolean): string {
  const kind = kindOf(object);
  const rule = 'only plain objects, arrays and primitives are JSON-safe';
  if (isObservableLike(object)) {
    // what an async agent resolving to `of(1)`, or a syncAgent returning it, gives: that value is the output as it is
    const hint = whole
      ? '; an Observable a promise resolves to, or syncAgent returns, is not read: return the Observable itself from a plain agent, or await firstValueFrom(it)'
      : '';
    return `${kind} (${rule}${hint})`;
  }
  if (kind === 'a Generator') return `${kind} (${rule}; a generator is not read: return an array, e.g. [...generator])`;
  if (kind === 'an AsyncGenerator' && whole)
    return `${kind} (${rule}; an async generator a promise resolves to, or syncAgent returns, is not read: return the generator itself from a plain agent)`;
  return `${kind} (${rule})`;
}

/**
 * What an object is, with its article: `a Date`, `an Error`, `a Generator`, `a Map Iterator`,
 * `an instance of an anonymous class`. Its class's name, else its `Symbol.toStringTag`.
 */
function kindOf(object: object): string {
  const constructor: unknown = (object as { constructor?: unknown }).constructor;
  const name = typeof constructor === 'function' ? (constructor as { name?: unknown }).name : undefined;
  if (typeof name === 'string' && name !== '' && name !== 'Object') return withArticle(name);
  const tag: unknown = (object as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag];
  if (typeof tag === 'string' && tag !== '') return withArticle(tag);
  if (name === '') return 'an instance of an anonymous class';
  return 'an object whose prototype is not Object.prototype';
}

/** `a Date`, `an Error`, `a Uint8Array`, `a URL`. */
function withArticle(name: string): string {
  // a vowel letter; a U only where it is not read "you" (Uint8Array, URL, User, Unit)
  const you = /^u(?:int|ni|s[eu]|ti|r[il])/i.test(name) || /^U[A-Z]/.test(name);
  const vowel = /^[aeio]/i.test(name) || (/^u/i.test(name) && !you);
  return `${vowel ? 'an' : 'a'} ${name}`;
}

/** An RxJS Observable or a subclass of it (a Subject), by the two methods RxJS itself looks for. */
function isObservableLike(object: object): boolean {
  const { lift, subscribe } = object as { lift?: unknown; subscribe?: unknown };
  return typeof lift === 'function' && typeof subscribe === 'function';
}

function describeThrown(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : 'a non-Error was thrown';
  } catch {
    return 'reading it threw';
  }
}
