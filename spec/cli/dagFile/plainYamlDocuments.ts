import fc from 'fast-check';

/**
 * Generated YAML documents for the plain YAML reader's specs: mostly what the reader takes
 * (block mappings and sequences in several indentations, compact mappings in sequences, plain,
 * quoted and literal scalars, nested flow lists and mappings, comments, blank lines, a leading
 * `---`), and some of what it does not (odd scalars and keys, folded scalars, trailing commas,
 * unclosed quotes), so that a document is read only if all of it is plain.
 */

// prettier-ignore
const plainScalars = [
  'a', 'a b', 'a #b', 'a#b', 'a # b', '-1', '0o17', '0o8', '0x1F', '0xg', '.inf', '-.Inf', '+.INF', '.nan', '.NaN',
  '1e3', '1E-2', '1.', '.5', '+1', '-0', '007', '1_000', '~', 'null', 'Null', 'nULL', 'True', 'tRUE', 'false', 'yes',
  'on', "it's", 'x:y', 'http://a/b', 'a [b]', 'a, b', 'a}', 'a "b"', '-a', '--a', 'a\\nb', 'é', '😀', 't42', 'a :b',
  'a  b', 'true story', '12:30', '1.2.3', 'nb\u00a0', '\u2003em',
];
// prettier-ignore
const oddScalars = [
  'x: y', 'x:', '[a]', '{a}', '"q"', "'q'", '- a', '-', '?a', ':a', '!a', '&a', '*a', '|', '>', '@a', '%a', '`a', 'a:',
];
const plainKeys = ['id', 'deps', 'run', 'sleep', 'a', 'b_c', 'd-e', 'f.g', 'x1', 'env', 'retry', 'tasks'];
const oddKeys = ['null', 'True', '__proto__', '"q"', 'a b', '-a', '?', "'k'"];
const scalarArb = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...plainScalars) },
  { weight: 1, arbitrary: fc.constantFrom(...oddScalars) },
);
const keyArb = fc.oneof({ weight: 25, arbitrary: fc.constantFrom(...plainKeys) }, { weight: 1, arbitrary: fc.constantFrom(...oddKeys) });
const spaces = fc.constantFrom('', '', '', ' ', '  ');
const quoted = scalarArb.chain((s) =>
  fc.constantFrom(
    JSON.stringify(s),
    `'${s.replace(/'/g, "''")}'`,
    `"${s.replace(/"/g, '\\"')}\\t\\x41\\u00e9"`,
    JSON.stringify(s),
    `'${s.replace(/'/g, "''")}'`,
    JSON.stringify(s),
    `'${s.replace(/'/g, "''")}'`,
    `"${s}`,
  ),
);
// flow lists and mappings of scalars, and of each other (`{ rate: { limit: 60 } }`)
const { flowList, flowMap } = fc.letrec<{ flowItem: string; flowList: string; flowMap: string }>((tie) => ({
  flowItem: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'flow' },
    { weight: 6, arbitrary: scalarArb },
    { weight: 3, arbitrary: quoted },
    tie('flowList'),
    tie('flowMap'),
  ),
  flowList: fc
    .tuple(
      fc.array(tie('flowItem'), { maxLength: 4, depthIdentifier: 'flow' }),
      spaces,
      fc.constantFrom(false, false, false, false, false, false, false, true),
    )
    .map(([items, pad, trailing]) =>
      items.length === 0 ? `[${pad}]` : `[${pad}${items.join(`,${pad || ' '}`)}${trailing ? ',' : ''}${pad}]`,
    ),
  flowMap: fc
    .tuple(fc.array(fc.tuple(keyArb, tie('flowItem')), { maxLength: 3, depthIdentifier: 'flow' }), spaces)
    .map(([pairs, pad]) => (pairs.length === 0 ? '{}' : `{${pad}${pairs.map(([k, v]) => `${k}: ${v}`).join(', ')}${pad}}`)),
}));
const inline = fc.oneof({ weight: 4, arbitrary: scalarArb }, quoted, flowList, flowMap);

type Doc =
  | { kind: 'map'; entries: [string, Doc][] }
  | { kind: 'seq'; items: Doc[] }
  | { kind: 'scalar'; text: string }
  | { kind: 'literal'; header: string; lines: string[] };
const literalArb = fc
  .tuple(
    fc.constantFrom('|', '|-', '|+', '|2', '>', '| # c'),
    fc.array(fc.constantFrom('x', 'y z', '', '  indented', '# hash', ' '), { minLength: 1, maxLength: 4 }),
  )
  .map(([header, lines]): Doc => ({ kind: 'literal', header, lines }));
const { doc: docArb } = fc.letrec<{ doc: Doc }>((tie) => ({
  doc: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'yaml', withCrossShrink: true },
    { weight: 5, arbitrary: inline.map((text): Doc => ({ kind: 'scalar', text })) },
    { weight: 1, arbitrary: literalArb },
    {
      weight: 2,
      arbitrary: fc
        .uniqueArray(fc.tuple(keyArb, tie('doc')), { minLength: 1, maxLength: 5, selector: ([key]) => key })
        .map((entries): Doc => ({ kind: 'map', entries })),
    },
    { weight: 2, arbitrary: fc.array(tie('doc'), { minLength: 1, maxLength: 5 }).map((items): Doc => ({ kind: 'seq', items })) },
  ),
}));
/** A document's root: a mapping or a sequence of a few entries. */
const rootArb = fc.oneof(
  fc
    .uniqueArray(fc.tuple(keyArb, docArb), { minLength: 2, maxLength: 6, selector: ([key]) => key })
    .map((entries): Doc => ({ kind: 'map', entries })),
  fc.array(docArb, { minLength: 2, maxLength: 6 }).map((items): Doc => ({ kind: 'seq', items })),
);

/** Renders a node under a parent at `indent` (the node goes at `indent + step`), in the styles YAML allows. */
function render(doc: Doc, indent: number, step: number, extras: () => string, compact: boolean): string[] {
  const pad = ' '.repeat(indent);
  switch (doc.kind) {
    case 'scalar':
    case 'literal':
      return [`${pad}${doc.kind === 'scalar' ? doc.text : doc.header}`];
    case 'map':
      return doc.entries.flatMap(([key, value]) => [
        ...entry(`${pad}${key}:`, value, indent, step, extras, true),
        ...maybeComment(extras, pad),
      ]);
    case 'seq':
      return doc.items.flatMap((item) => [...entry(`${pad}-`, item, indent, step, extras, compact), ...maybeComment(extras, pad)]);
  }
}
function maybeComment(extras: () => string, pad: string): string[] {
  const extra = extras();
  return extra === 'comment' ? [`${pad}# note`] : extra === 'blank' ? [''] : extra === 'spaces' ? ['   '] : [];
}
function entry(head: string, value: Doc, indent: number, step: number, extras: () => string, sameIndentSeq: boolean): string[] {
  if (value.kind === 'scalar') return [`${head} ${value.text}${extras() === 'trailing' ? ' # t' : ''}`];
  if (value.kind === 'literal') {
    const inner = ' '.repeat(indent + step);
    return [`${head} ${value.header}`, ...value.lines.map((line) => (line === '' ? '' : line === ' ' ? inner + ' ' : inner + line))];
  }
  if (value.kind === 'map' && head.endsWith('-') && extras() !== 'comment') {
    // a compact mapping: its first key on the dash's line
    const [first, ...rest] = render(value, indent + step, step, extras, false);
    return [`${head}${' '.repeat(step - 1)}${first!.trimStart()}`, ...rest];
  }
  const childIndent = value.kind === 'seq' && sameIndentSeq && extras() === 'blank' ? indent : indent + step;
  return [head, ...render(value, childIndent, step, extras, true)];
}

/** A whole document: a root mapping or sequence, in one indentation step, with comments and blank lines here and there. */
export const documentArb = fc
  .tuple(
    rootArb,
    fc.constantFrom(2, 2, 4, 1, 3),
    fc.array(fc.constantFrom('', '', '', '', '', '', '', 'comment', 'blank', 'trailing', 'spaces'), { minLength: 1, maxLength: 50 }),
    fc.constantFrom('', '---\n', '# head\n'),
    fc.boolean(),
  )
  .map(([doc, step, extrasList, prefix, finalNewline]) => {
    let next = 0;
    const extras = () => extrasList[next++ % extrasList.length]!;
    const body = render(doc, 0, step, extras, true).join('\n');
    return `${prefix}${body}${finalNewline ? '\n' : ''}`;
  });
