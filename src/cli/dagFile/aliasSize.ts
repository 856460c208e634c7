/**
 * How many values a YAML document's aliases add once expanded: each alias stands for a copy of
 * its anchored node, the aliases inside that copy expanded too. The `yaml` library's guard against
 * alias bombs counts uses, not sizes: one anchored mapping of 10,000 entries used 99 times passed
 * it and expanded to a million values (minutes and gigabytes to read). Also what each alias stands
 * for (`aliasSources`). It reads the document and changes nothing; what to say is its caller's.
 */
import type { Alias, Document, Node } from 'yaml';

/** Most values the aliases of one file may add: ~100 uses of a task's worth of fields each. */
export const MAX_ALIASED_VALUES = 100_000;

/**
 * The offset of the alias at which the copies the aliases make, counted in document order, pass
 * {@link MAX_ALIASED_VALUES} values; undefined when they stay within it.
 *
 * @example
 * aliasBombAt(parseDocument('a: &a [1, 2]\nb: *a\n')) // undefined (2 values added)
 */
export function aliasBombAt(doc: Document): number | undefined {
  const { isAlias, isCollection, isPair } = require('yaml') as typeof import('yaml');
  const sources = aliasSources(doc);
  if (sources.size === 0) return undefined;
  // values of a node expanded, each node counted once (an anchor's own aliases are in it)
  const sizes = new Map<unknown, number>();
  const sizeOf = (node: unknown): number => {
    const known = sizes.get(node);
    if (known !== undefined) return known;
    sizes.set(node, 1); // an alias of an enclosing anchor (a cycle) counts as one value
    let size = 1;
    if (isAlias(node)) {
      const source = sources.get(node);
      if (source !== undefined) size = sizeOf(source);
    } else if (isCollection(node)) {
      for (const item of node.items) size += sizeOf(item);
    } else if (isPair(node)) {
      size = sizeOf(node.key) + sizeOf(node.value);
    }
    sizes.set(node, size);
    return size;
  };
  let added = 0;
  for (const alias of sources.keys()) {
    added += sizeOf(alias);
    if (added > MAX_ALIASED_VALUES) return alias.range?.[0];
  }
  return undefined;
}

/**
 * What each alias of `doc` stands for, as the library resolves it: the last node before it with
 * its anchor. In document order; an alias whose anchor is not set before it is left out.
 */
export function aliasSources(doc: Document): Map<Alias, Node> {
  const { isAlias, visit } = require('yaml') as typeof import('yaml');
  const sources = new Map<Alias, Node>();
  const anchored = new Map<string, Node>();
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node)) {
        const source = anchored.get(node.source);
        if (source !== undefined) sources.set(node, source);
      } else if (node.anchor !== undefined) anchored.set(node.anchor, node);
    },
  });
  return sources;
}
