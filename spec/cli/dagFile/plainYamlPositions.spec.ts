import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { plainYamlPositions, readPlainYaml } from '../../../src/cli/dagFile/plainYaml';
import { parseYaml, type Positions, yamlPositions } from '../../../src/cli/dagFile/sourceText';
import { documentArb } from './plainYamlDocuments';

/**
 * The plain YAML reader places the parts of what it reads itself (a problem in a big file would
 * otherwise cost a whole `yaml` document); every place must be the one the `yaml` library's
 * document gives: each path of the value, paths that lead nowhere (the nearest enclosing node),
 * and keys of mappings, present or not.
 */

type Path = (string | number)[];

/** Every path into `value` (its own included), and some that lead nowhere. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const paths: Path[] = [prefix, [...prefix, 'nowhere'], [...prefix, 99], [...prefix, '0'], [...prefix, -1], [...prefix, 0.5]];
  if (Array.isArray(value)) value.forEach((item, i) => paths.push(...pathsOf(item, [...prefix, i])));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...prefix, key]));
  }
  return paths;
}

/** The keys asked of the node at a path: its own, their neighbours that are not keys, and a few others. */
function keysAt(value: unknown, at: Path): string[] {
  let node = value;
  for (const key of at) node = typeof node === 'object' && node !== null ? (node as Record<string | number, unknown>)[key] : undefined;
  const own = typeof node === 'object' && node !== null && !Array.isArray(node) ? Object.keys(node) : [];
  return [...own, ...own.map((key) => key.slice(0, -1)), ...own.map((key) => `${key}x`), 'id', 'nowhere', '', '0'];
}

/** Empty when `mine` places every part of `text` (whose value is `value`) where the yaml library does, else the first difference. */
function difference(text: string, value: unknown, mine: Positions): string {
  const theirs = yamlPositions(text);
  for (const at of pathsOf(value)) {
    const [a, b] = [mine.locate(at), theirs.locate(at)];
    if (JSON.stringify(a) !== JSON.stringify(b))
      return `${JSON.stringify(text)} at ${JSON.stringify(at)}: ${JSON.stringify(a)}, the yaml library ${JSON.stringify(b)}`;
    for (const key of keysAt(value, at)) {
      const [c, d] = [mine.locateKey(at, key), theirs.locateKey(at, key)];
      if (JSON.stringify(c) !== JSON.stringify(d)) {
        return `${JSON.stringify(text)}, key ${JSON.stringify(key)} at ${JSON.stringify(at)}: ${JSON.stringify(c)}, the yaml library ${JSON.stringify(d)}`;
      }
    }
  }
  return '';
}

/** Empty when the plain reader reads `text` and places its parts as the yaml library does; `not read` when it does not read it. */
function plainDifference(text: string): string {
  const plain = readPlainYaml(text);
  const mine = plainYamlPositions(text);
  if (plain === undefined || mine === undefined) return plain === mine ? 'not read' : 'read, but not placed';
  return difference(text, plain.value, mine);
}

describe('plainYamlPositions', () => {
  it.each([
    ['a DAG file', 'id: d\ntasks:\n  - id: a\n    sleep: 0\n  - id: b\n    deps: [a]\n    run: echo hi # comment\n'],
    ['flow mappings as tasks', 'id: d\ntasks:\n  - { id: a, deps: [b] }\n  - {id: b, sleep: 0}\n  - {}\n'],
    ['flow lists with spaces and quotes', 'deps: [ a , "b", \'c\' ]\nempty: [ ]\nnested: [[x, {y: 1}], [ ]]\n'],
    ['nested flow mappings', 'limits:\n  api: { concurrency: 2, rate: { limit: 60, intervalMs: 60000 } }\nc: {d: [1, "2"], e: {}} # c\n'],
    ['quoted values', 'a: "x\\ty\\u00e9 \\"q\\""\nb: \'it\'\'s # not a comment\'\nc: ""\nd: \'\'\n'],
    ['empty values', 'a:\nb: # comment\nc:\n  # only a comment\nd:\n- \n-\n-   # nothing\n'],
    ['empty values at the end, without a final line feed', 'a:\n  - x\n  -\nb:'],
    ['an empty value before a sibling and a parent', 'tasks:\n  - id: a\n    deps:\n  -\nid: x\n'],
    ['a sequence at its key’s indentation', 'tasks:\n- id: a\n  sleep: 1\n- id: b\nid: x\n'],
    ['nested sequences and mappings', 'a:\n  -\n    - x\n    - y\n  - b:\n      c: 1\n    d:\n    - 2\n'],
    ['nested inputs', 'tasks:\n  - id: a\n    inputs:\n      from: { task: b, output: out }\n      list:\n        - { x: [1, 2] }\n'],
    ['literal block scalars', 'a: |\n  line 1\n\n    indented\nb: |-\n  x\n\n\nc: |+\n  y\n\nd:\n  - |\n    in a list\n'],
    ['comments and a leading document marker', '# top\n--- # start\nid: x # the id\n\n# between\ntasks: [] # none\n'],
    ['an indented root', '  a: 1\n  b:\n    - c\n'],
    ['a root sequence', '- a\n- b: 1\n  c: [d]\n-\n  - e\n'],
    ['keys that are prefixes of each other', 'dep: 1\ndeps: [a]\ndeps.x: 2\nd-e: {d: 1, d_e: 2}\n'],
    ['scalars of every kind', 'a: [~, null, true, 0o17, 0x1F, -12, 1e3, .5, -.inf, .NaN, yes, 1_000]\nb: echo [x] a:b a#b\n'],
    ['characters past ASCII', 'a: "😀 x"\nb: [y\u3000, é]\nc: nb\u00a0\nd: { e: ü }\n'],
  ])('should place %s as the yaml library does', (_name, text) => {
    expect(plainDifference(text)).toBe('');
  });

  it('should place a value deep in a long list as the yaml library does', () => {
    const tasks = Array.from({ length: 2000 }, (_, i) => `  - id: t${i}\n    deps: [t${i - 1}, nope]\n    sleep: 0\n`).join('');
    const text = `id: long\ntasks:\n${tasks}`;
    const mine = plainYamlPositions(text)!;
    const theirs = yamlPositions(text);
    for (const at of [
      ['tasks', 1990, 'deps', 1],
      ['tasks', 1990],
      ['tasks', 2000],
      ['tasks', 0, 'sleep'],
    ]) {
      expect(mine.locate(at)).toEqual(theirs.locate(at));
      expect(mine.locateKey(at, 'deps')).toEqual(theirs.locateKey(at, 'deps'));
    }
    expect(mine.locate(['tasks', 1990, 'deps', 1])).toEqual({ line: 3 * 1990 + 4, column: 19 });
  });

  it('should place the repository’s YAML files it reads as the yaml library does', () => {
    const root = path.resolve(__dirname, '../../..');
    const files = ['examples', 'spec/cli/fixtures'].flatMap((dir) =>
      readdirSync(path.join(root, dir))
        .filter((name) => /\.ya?ml$/.test(name))
        .map((name) => path.join(root, dir, name)),
    );
    const read = files.map((file) => plainDifference(readFileSync(file, 'utf8'))).filter((outcome) => outcome !== 'not read');
    expect(read.length).toBeGreaterThan(3);
    for (const outcome of read) expect(outcome).toBe('');
  });

  it('should place every generated document it reads as the yaml library does', () => {
    let placed = 0;
    let runs = 0;
    fc.assert(
      fc.property(documentArb, (text) => {
        runs++;
        const outcome = plainDifference(text);
        if (outcome !== 'not read') {
          placed++;
          expect(outcome).toBe('');
        }
      }),
      { numRuns: 1500, seed: 11 },
    );
    // the generator must exercise the positions, not only the reader's giving up
    expect(placed / runs).toBeGreaterThan(0.1);
  });

  it.each([
    ['quoted keys', '"id": a\ntasks:\n  - { "id": b }\n'],
    ['an anchor and an alias', 'a: &x [1]\nb: *x\n'],
    ['a flow collection over several lines', 'tasks:\n  - { id: a,\n      deps: [b] }\n'],
  ])('should leave the places of a file with %s to the yaml library', (_name, text) => {
    expect(plainYamlPositions(text)).toBeUndefined();
    const parsed = parseYaml(text, 'f.yaml');
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(difference(text, parsed.file.value, parsed.file.positions)).toBe('');
  });

  it('should place the parts of a file parseYaml reads with the plain reader as the yaml library does', () => {
    const text = 'id: x\ntasks:\n  - id: a\n    deps: [b, c]\n  -\n  - { id: d, env: { A: "1" } }\n';
    const parsed = parseYaml(text, 'f.yaml');
    expect(parsed.ok && readPlainYaml(text) !== undefined).toBe(true);
    if (parsed.ok) expect(difference(text, parsed.file.value, parsed.file.positions)).toBe('');
  });
});
