/**
 * JSON text of single values, exactly as `JSON.stringify` writes them, for the encoders that put a
 * journal line together from pieces (`eventLine.ts`, `headerText.ts`), and the check those use to
 * tell an object of the shape they know from any other. Values only: no objects are walked here.
 */

/**
 * A string as JSON writes it. Why: most ids need no escaping, and quoting them by hand is cheaper
 * than a call into `JSON.stringify`; any character JSON escapes (a quote, a backslash, a control
 * character) or may escape (a surrogate, paired or lone) sends the string to `JSON.stringify`.
 */
export function jsonString(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) return JSON.stringify(value);
  }
  return `"${value}"`;
}

/** A number as JSON writes it: its shortest text, `null` when it is not finite. */
export function jsonNumber(value: number): string {
  return Number.isFinite(value) ? `${value}` : 'null';
}

/**
 * Whether the enumerable keys of `value` are `keys` in that order, the first `required` of them
 * present and any later one possibly missing: then a hand-written encoder of those keys gives
 * what `JSON.stringify` gives. Any other key, or keys in another order, is the caller's cue to
 * fall back to `JSON.stringify`.
 */
export function hasKeys(value: object, keys: readonly string[], required = keys.length): boolean {
  let at = 0;
  for (const key in value) {
    while (keys[at] !== key) {
      if (at < required || at >= keys.length) return false;
      at++;
    }
    at++;
  }
  return at >= required;
}
