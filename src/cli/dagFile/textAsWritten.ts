/**
 * Finds what a DAG file writes as a number or a boolean where text is taken, and that would not
 * reach the run as written: an `env` value (`ZIP: 02134` is the number 2134, so the task would
 * see `2134`; `VERSION: 1.10` would be `1.1`, a 20-digit number loses its last digits, `True`
 * becomes `true`) and a mapping key (`01:` is the key `1`). Each is a problem where it is
 * written, asking for quotes; one that reads back as written (`PORT: 8080`) is fine. A value's
 * text is looked up only when one may not read back (the plain YAML reader tells when none
 * does). It checks nothing else: the file schema checks the values' types.
 */
import type { Document } from 'yaml';
import { quoted } from '../../dag/text';
import type { Problem } from '../problems';
import { plainScalar } from './plainYamlLine';
import type { Position, Positions } from './sourceText';
import { offsetsOf } from './textLines';
import type { Located } from './zodProblems';

/** A scalar as written in YAML or JSON where a number or a boolean is: up to a space, a comma, a bracket or a comment. */
const SCALAR_TEXT = /[^\s,[\]{}#]+/y;

/**
 * The `env` values of `file` (in `defaults` and in each task) written as numbers or booleans
 * whose text the value does not keep, each at its value: `tasks[0].env.ZIP: 02134 is read as the
 * number 2134; write it in quotes ("02134") to keep it as written`.
 */
export function changedEnvValues(file: unknown, text: string, positions: Positions): Located[] {
  const found: Located[] = [];
  // made at the first number or boolean: most files have none
  let offsetOf: ((position: Position) => number) | undefined;
  const check = (env: unknown, path: readonly (string | number)[]) => {
    if (!isMapping(env)) return;
    for (const name of Object.keys(env)) {
      const value: unknown = env[name];
      if (typeof value !== 'number' && typeof value !== 'boolean') continue;
      const position = positions.locate([...path, name]);
      if (position === undefined) continue;
      SCALAR_TEXT.lastIndex = (offsetOf ??= offsetsOf(text))(position);
      const written = SCALAR_TEXT.exec(text)?.[0];
      // not the value's own text (an alias, a tag): what it was written as cannot be told
      if (written === undefined || !Object.is(plainScalar(written), value) || written === String(value)) continue;
      found.push({ path: [...path, name], message: `${written} is read as the ${typeof value} ${String(value)}; ${keepIt(written)}` });
    }
  };
  if (isMapping(file)) {
    if (isMapping(file['defaults'])) check(file['defaults']['env'], ['defaults', 'env']);
    const tasks = file['tasks'];
    if (Array.isArray(tasks)) tasks.forEach((task: unknown, i) => isMapping(task) && check(task['env'], ['tasks', i, 'env']));
  }
  return found;
}

/**
 * The keys of a document the `yaml` library read that are written as numbers, booleans or null
 * and become another text as keys (`01:` is the key `1`, `~:` the key ``), or are lists or
 * mappings (`? [a, b]`, which would become the text `[ a, b ]`), each at its key. (The plain YAML
 * reader takes no such key, and JSON's keys are text.)
 */
export function changedKeys(doc: Document.Parsed, fileName: string, linePos: (offset: number) => { line: number; col: number }): Problem[] {
  // loaded already: the document is the library's
  const { isAlias, isMap, isScalar, isSeq } = require('yaml') as typeof import('yaml');
  const found: Problem[] = [];
  // depth first, without recursion: a deep document must not exhaust the stack here
  const stack: { node: unknown; path: readonly (string | number)[] }[] = [{ node: doc.contents, path: [] }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { node, path } = next;
    if (isSeq(node)) node.items.forEach((item, i) => stack.push({ node: item, path: [...path, i] }));
    if (!isMap(node)) continue;
    for (const { key, value } of node.items) {
      // the key as the value holds it (what `toJS` makes of it)
      const name = isScalar(key) ? (key.value === null ? '' : String(key.value)) : key === null ? '' : String(key);
      stack.push({ node: value, path: [...path, name] });
      // an alias as a key (`*m :`) stands for what it names: a list or mapping there is no name either
      const named = isAlias(key) ? key.resolve(doc) : key;
      if (isMap(named) || isSeq(named)) {
        const { line, col } = linePos((key as { range?: readonly number[] | null }).range?.[0] ?? 0);
        const what = isMap(named) ? 'a mapping' : 'a list';
        found.push({ file: fileName, line, column: col, path, message: `a key must be a name, not ${what} (a \`? \` key of YAML)` });
        continue;
      }
      if (!isScalar(key) || key.type !== 'PLAIN' || !isNumberLike(key.value) || key.source === name) continue;
      const written = key.source ?? name;
      const { line, col } = linePos(key.range?.[0] ?? 0);
      const read = key.value === null ? 'null' : `the ${typeof key.value} ${String(key.value)}`;
      found.push({
        file: fileName,
        line,
        column: col,
        path,
        message: `the key ${written} is read as ${read} (the name ${quoted(name)}); ${keepIt(written)}`,
      });
    }
  }
  return found;
}

/** A value YAML reads from a plain scalar that is not text (a merge key `<<` is neither). */
function isNumberLike(value: unknown): value is number | boolean | null {
  return typeof value === 'number' || typeof value === 'boolean' || value === null;
}

function keepIt(written: string): string {
  return `write it in quotes (${JSON.stringify(written)}) to keep it as written`;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
