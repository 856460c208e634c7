/**
 * What a task takes of the named limits it needs, in the two forms a spec gives them: a list of
 * names (each limit takes the task's `weight`, as it takes of `maxConcurrency`) or a mapping of
 * names to units of their own (`{ openai: 1, 'openai-tokens': 3000 }`: one call at a time, 3,000
 * tokens of a rate window). Reading the forms and comparing them; checking a spec's values is the
 * schema's work, and what a limit does with units is `Limit`'s.
 */

/** A task's `limits` as a spec gives them: names, or names with the units the task takes of each. */
export type TaskLimits = readonly string[] | Readonly<Record<string, number>>;

/**
 * The units a task takes of each limit it names by its own count (the mapping form), as a record
 * without a prototype: a limit may be called `__proto__`. One record is shared by the tasks that
 * give the same mapping.
 */
export type LimitUnits = Readonly<Record<string, number>>;

const NO_NAMES: readonly string[] = Object.freeze([]);

/** The names of the limits `limits` gives, in the order given. */
export function limitNamesOf(limits: TaskLimits | undefined): readonly string[] {
  if (limits === undefined) return NO_NAMES;
  return isNameList(limits) ? limits : Object.keys(limits);
}

/** The own units of the mapping form, as a record without a prototype; `undefined` for a list of names. */
export function ownUnitsOf(limits: TaskLimits): LimitUnits | undefined {
  if (isNameList(limits)) return undefined;
  const units = Object.create(null) as Record<string, number>;
  for (const name of Object.keys(limits)) units[name] = Object.getOwnPropertyDescriptor(limits, name)!.value as number;
  return Object.freeze(units);
}

/** The units of limit `name` a task takes: its own count, or its weight when it names the limit in a list. */
export function unitsIn(own: LimitUnits | undefined, name: string, weight: number): number {
  return own === undefined ? weight : own[name]!;
}

/** Whether a task takes more than one unit of any limit by its own count (it may have to be held a place for). */
export function takesManyUnits(own: LimitUnits | undefined): boolean {
  if (own === undefined) return false;
  for (const name in own) if (own[name]! > 1) return true;
  return false;
}

/**
 * Whether a task's limits (its `names`, with its `own` units when it gave a mapping) are what
 * `defaults` give, in the same form: what a spec of the task may then leave out.
 */
export function sameLimits(names: readonly string[], own: LimitUnits | undefined, defaults: TaskLimits | undefined): boolean {
  if (defaults === undefined) return names.length === 0 && own === undefined;
  const given = limitNamesOf(defaults);
  if (names.length !== given.length || !names.every((name, k) => name === given[k])) return false;
  if (isNameList(defaults)) return own === undefined;
  return own !== undefined && names.every((name) => own[name] === (defaults as LimitUnits)[name]);
}

function isNameList(limits: TaskLimits): limits is readonly string[] {
  return Array.isArray(limits);
}
