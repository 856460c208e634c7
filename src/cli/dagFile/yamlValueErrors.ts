/**
 * Where a YAML document that parsed could not be made a value. The `yaml` library's `toJS`
 * throws, without a position, for an alias whose anchor is not set before it, a merge key (`<<`)
 * whose value is not a mapping (nor an alias of one, nor a list of them), and an alias count
 * past its guard against alias bombs (`maxAliasCount`). This walks the document in the order
 * `toJS` converts it, counting aliases as it counts them, and finds the node of the first such
 * error: the one `toJS` threw for. It converts nothing and words nothing (the library's message
 * is the problem's).
 */
import type { Alias, Document, Node, Pair } from 'yaml';
import { aliasSources } from './aliasSize';

/** The count `toJS` keeps of an anchored node: how often it was used, and how many aliases it holds at most. */
interface AnchorUse {
  count: number;
  aliasCount: number;
}

/** Thrown inside the walk to stop it at the node `toJS` would have thrown at. */
class ErrorAt {
  constructor(readonly node: Node) {}
}

/**
 * The offset in the text of the node at which `doc.toJS({ maxAliasCount })` throws, or
 * `undefined` when the walk finds none (an error of another kind).
 *
 * @example
 * valueErrorOffset(parseDocument('id: a\ntasks: *nope\n'), 100) // 13, the `*` of `*nope`
 */
export function valueErrorOffset(doc: Document, maxAliasCount: number): number | undefined {
  const { isAlias, isMap, isPair, isScalar, isSeq, isCollection } = require('yaml') as typeof import('yaml');
  const sources = aliasSources(doc);
  const uses = new Map<Node, AnchorUse>();

  const aliasCount = (node: unknown): number => {
    if (isAlias(node)) {
      const source = sources.get(node);
      const use = source === undefined ? undefined : uses.get(source);
      return use === undefined ? 0 : use.count * use.aliasCount;
    }
    if (isCollection(node)) return node.items.reduce((most: number, item) => Math.max(most, aliasCount(item)), 0);
    if (isPair(node)) return Math.max(aliasCount(node.key), aliasCount(node.value));
    return 1;
  };
  const resolve = (alias: Alias): Node => {
    const source = sources.get(alias);
    if (source === undefined) throw new ErrorAt(alias);
    if (!uses.has(source)) convert(source);
    const use = uses.get(source)!;
    use.count += 1;
    if (use.aliasCount === 0) use.aliasCount = aliasCount(source);
    if (use.count * use.aliasCount > maxAliasCount) throw new ErrorAt(alias);
    return source;
  };
  const merge = (pair: Pair) => {
    const value = isAlias(pair.value) ? resolve(pair.value) : pair.value;
    const items: unknown[] = isSeq(value) ? value.items : [value];
    for (const item of items) {
      const source = isAlias(item) ? resolve(item) : item;
      if (!isMap(source)) throw new ErrorAt(isScalar(item) || isCollection(item) || isAlias(item) ? item : (pair.key as Node));
      // the library converts a merged mapping again, with the aliases it holds
      for (const inner of source.items) convertPair(inner);
    }
  };
  const convertPair = (pair: Pair) => {
    if (isMergeKey(pair.key)) return merge(pair);
    convert(pair.key);
    convert(pair.value);
  };
  const convert = (node: unknown): void => {
    if (isAlias(node)) {
      resolve(node);
      return;
    }
    if (isPair(node)) return convertPair(node);
    if (!isScalar(node) && !isCollection(node)) return;
    if (node.anchor !== undefined) uses.set(node, { count: 1, aliasCount: 0 });
    if (isCollection(node)) for (const item of node.items) convert(item);
  };
  const isMergeKey = (key: unknown): boolean =>
    isScalar(key) &&
    (typeof key.value === 'symbol'
      ? key.value.description === '<<'
      : key.value === '<<' && (key.type === undefined || key.type === 'PLAIN'));

  try {
    convert(doc.contents);
  } catch (error) {
    // a document nested too deeply for the walk too: its error has no place
    if (error instanceof ErrorAt) return error.node.range?.[0];
  }
  return undefined;
}
