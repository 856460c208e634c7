/**
 * What goes into the names of Redis connections, which BullMQ sets and lists workers by: the
 * prefix as given, a worker's name encoded. Redis takes printable ASCII only there: a worker
 * named otherwise went unlisted, and `rxdag run --redis` said no worker served its queues.
 * Imports nothing: the CLI checks a prefix with it without loading BullMQ.
 */

/** Whether Redis takes `text` as it is in a connection's name (printable ASCII, no white space): a prefix must. */
export function namesConnections(text: string): boolean {
  return /^[!-~]*$/.test(text);
}

/**
 * `name` with each character Redis refuses, and `%`, as its UTF-8 bytes (`wörker 1` as
 * `w%C3%B6rker%201`), and a lone surrogate, which has none, as `%uD800`.
 */
export function connectionNamePart(name: string): string {
  return name.replace(/[^!-$&-~]/gu, (character) =>
    /^[\uD800-\uDFFF]$/.test(character)
      ? `%u${character.charCodeAt(0).toString(16).toUpperCase()}`
      : [...Buffer.from(character, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}
