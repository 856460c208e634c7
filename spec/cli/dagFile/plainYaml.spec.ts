import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { parseDocument } from 'yaml';
import { readPlainYaml } from '../../../src/cli/dagFile/plainYaml';
import { documentArb } from './plainYamlDocuments';

/**
 * The plain YAML reader is a shortcut for the `yaml` library: whatever it reads, it must read as
 * the library does (same value, and no text the library refuses), and it may give up on
 * anything. Checked on hand-picked texts, on the repository's YAML files, and on generated and
 * mutated documents.
 */

/** What the `yaml` library makes of a text, as `loadDagFile` asks it: the value, or `errors`. */
function library(text: string): { value: unknown } | 'errors' {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) return 'errors';
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }) };
  } catch {
    return 'errors';
  }
}

/** Empty when the reader agrees with the library (or gave up), else what went wrong. */
function disagreement(text: string): string {
  const plain = readPlainYaml(text);
  if (plain === undefined) return '';
  const theirs = library(text);
  if (theirs === 'errors') return `read a text the yaml library refuses: ${JSON.stringify(text)}`;
  if (!isDeepStrictEqual(plain.value, theirs.value)) {
    return `read ${JSON.stringify(text)} as ${JSON.stringify(plain.value)}, the yaml library as ${JSON.stringify(theirs.value)}`;
  }
  return '';
}

describe('readPlainYaml', () => {
  it.each([
    ['a DAG file', 'id: d\ntasks:\n  - id: a\n    sleep: 0\n  - id: b\n    deps: [a]\n    run: echo hi # comment\n'],
    ['a leading document marker and comments', '# top\n---\nid: x # the id\n\n# between\ntasks: []\n'],
    ['a sequence at its key’s indentation', 'tasks:\n- id: a\n  sleep: 1\n- id: b\nid: x\n'],
    [
      'core schema scalars',
      'a: [~, null, Null, NULL, true, False, TRUE, 0o17, 0x1F, -12, +3, 007, 1e3, 2.5, .5, 1., -.inf, .NaN, yes, 1_000]\n',
    ],
    ['quoted scalars', 'a: "x\\ty\\u00e9\\x41\\U0001F600 \\"q\\" \\\\"\nb: \'it\'\'s # not a comment\'\nc: ""\n'],
    ['plain scalars with indicators inside', 'a: echo [x] {y} a,b "q" \'s\' a:b a#b\nb: http://x.y/z?q=1\nc: -x\nd: --flag\n'],
    ['flow mappings', 'retry: { attempts: 2, backoffMs: 500 }\nenv: {A: "1", B: x y}\ne: {}\nf: [ ]\n'],
    ['literal block scalars', 'a: |\n  line 1\n\n    indented\n  # not a comment\nb: |-\n  x\n\n\nc: |+\n  y\n\n\nd: x\n'],
    ['literal block scalars in a sequence', '- |\n  one\n- run: |\n    two\n  id: t\n'],
    ['null values', 'a:\nb: # comment\nc:\n  # only a comment\nd:\n- \n-\n'],
    ['nested sequences and mappings', 'a:\n  -\n    - x\n    - y\n  - b:\n      c: 1\n    d:\n    - 2\n'],
    ['an indented root', '  a: 1\n  b: 2\n'],
    [
      'nested flow collections (a DAG file’s limits)',
      'limits:\n  api: { concurrency: 2, rate: { limit: 60, intervalMs: 60000 } }\nb: [[x, {y: 1}], [ ]]\nc: {d: [1, "2"], e: {}} # c\n',
    ],
    ['spaces that are not ASCII spaces, kept', 'a: x\u00a0\nb: [y\u3000, z]\nc: "q\u2003"\n'],
  ])('should read %s as the yaml library does', (_name, text) => {
    expect(readPlainYaml(text)).toBeDefined();
    expect(disagreement(text)).toBe('');
  });

  it.each([
    ['a tab', 'a:\tb\n'],
    ['a carriage return', 'a: b\r\n'],
    ['an anchor and an alias', 'a: &x 1\nb: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a folded scalar', 'a: >\n  x\n  y\n'],
    ['a multi-line plain scalar', 'a: x\n  y\n'],
    ['a multi-line quoted scalar', 'a: "x\n  y"\n'],
    ['a multi-line flow list', 'a: [x,\n  y]\n'],
    ['a quoted key', '"a": 1\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a key that is not a string', 'true: 1\n'],
    ['a second document', 'a: 1\n---\nb: 2\n'],
    ['a syntax error', 'a: b: c\n'],
    ['a bad indentation', 'a:\n    b: 1\n  c: 2\n'],
    ['an unclosed quote', 'a: "x\n'],
    ['flow collections nested deeper than it follows', `a: ${'['.repeat(9)}x${']'.repeat(9)}\n`],
    ['a nested flow collection followed by a scalar', 'a: [[x] y]\n'],
    ['a nested flow collection as a key', 'a: {[x]: 1}\n'],
    ['a scalar root', 'just text\n'],
    ['a trailing comma', 'a: [x, ]\n'],
    ['a bad escape', 'a: "\\q"\n'],
  ])('should leave %s to the yaml library', (_name, text) => {
    expect(readPlainYaml(text)).toBeUndefined();
  });

  it('should read the repository’s YAML files as the yaml library does', () => {
    const root = path.resolve(__dirname, '../../..');
    const files = ['examples', 'spec/cli/fixtures'].flatMap((dir) =>
      readdirSync(path.join(root, dir))
        .filter((name) => /\.ya?ml$/.test(name))
        .map((name) => path.join(root, dir, name)),
    );
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) expect(disagreement(readFileSync(file, 'utf8'))).toBe('');
  });

  describe('on generated documents', () => {
    it('should read every generated document it reads as the yaml library does', () => {
      let read = 0;
      let runs = 0;
      fc.assert(
        fc.property(documentArb, (text) => {
          runs++;
          if (readPlainYaml(text) !== undefined) read++;
          expect(disagreement(text)).toBe('');
        }),
        { numRuns: 3000, seed: 42 },
      );
      // the generator must exercise the reader, not only its giving up
      expect(read / runs).toBeGreaterThan(0.1);
    });

    it('should read every mutated document it reads as the yaml library does', () => {
      const mutation = fc.tuple(
        fc.nat(),
        fc.constantFrom('', ' ', ':', '-', '#', '"', "'", '\n', '  ', '[', ']', '{', ',', '|', '\\'),
        fc.nat(2),
      );
      fc.assert(
        fc.property(documentArb, fc.array(mutation, { minLength: 1, maxLength: 3 }), (text, mutations) => {
          let mutated = text;
          for (const [at, insert, remove] of mutations) {
            const where = mutated.length === 0 ? 0 : at % mutated.length;
            mutated = mutated.slice(0, where) + insert + mutated.slice(where + remove);
          }
          expect(disagreement(mutated)).toBe('');
        }),
        { numRuns: 3000, seed: 7 },
      );
    });
  });
});
