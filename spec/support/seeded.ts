/**
 * What the randomised specs (crash kill points, property runs) are told by the environment, and
 * the seeded choices they draw: the same seed, the same choices (a process's timing still varies).
 * It holds no spec's logic, only these two helpers.
 */

/** The positive integer in the variable `name`, or `fallback` when it is unset or empty; anything else is refused, naming it. */
export function positiveIntegerSetting(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new TypeError(`${name} must be a positive integer (got ${JSON.stringify(text)})`);
  return value;
}

/** A small seeded PRNG (mulberry32): numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
