/**
 * What kind of result an agent returned, as `runAttempt` follows it: a thenable, or a value to
 * subscribe to (an interop Observable or an async iterable). Reading a hostile value's fields may
 * throw: callers catch. It decides nothing about the result itself.
 */

/** Whether a value is a thenable. @internal */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

/** Whether a value is an Observable of another library (`Symbol.observable`) or an async iterable. */
export function isInteropOrAsyncIterable(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const symbolObservable = (typeof Symbol === 'function' && (Symbol as { observable?: symbol }).observable) || '@@observable';
  return (
    typeof (value as Record<PropertyKey, unknown>)[symbolObservable] === 'function' ||
    typeof (value as Record<PropertyKey, unknown>)[Symbol.asyncIterator] === 'function'
  );
}
