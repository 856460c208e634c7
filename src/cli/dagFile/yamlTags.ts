/**
 * The tags of a YAML DAG file that would change its value unseen: a tag the `yaml` library does
 * not know (`!env HOME`, which it drops, leaving the text `HOME`), a core tag on a value it does
 * not fit (`!!float 7`, left the text "7"), and a tag whose value is no JSON value (`!!binary`,
 * `!!set`, `!!omap`, `!!pairs`, `!!timestamp`: a byte array, a set, a map, a date, which the
 * file's checks would call "a mapping"). Each is a problem at its tag. The tags of JSON's values
 * (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!seq`, `!!map`) pass. It does not parse:
 * `sourceText.ts` hands it the library's document.
 */
import type { Document } from 'yaml';

/** YAML 1.2's prefix of the core tags (`!!str` is `tag:yaml.org,2002:str`). */
const CORE_PREFIX = 'tag:yaml.org,2002:';

/** The core tags whose values are JSON values. */
const JSON_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'seq', 'map', 'merge'].map((name) => CORE_PREFIX + name));

/** What YAML 1.1's tags give, which DAG files do not take. */
const NOT_JSON: Readonly<Record<string, string>> = {
  binary: 'bytes',
  set: 'a set',
  omap: 'an ordered map',
  pairs: 'a list of pairs',
  timestamp: 'a date',
};

/** The core tags the library knows: one of these it could not apply does not fit its value; any other is unknown. */
const KNOWN_CORE = new Set([...JSON_TAGS, ...Object.keys(NOT_JSON).map((name) => CORE_PREFIX + name)]);

/** What the library warns of a tag it could not apply. */
const UNRESOLVED = 'TAG_RESOLVE_FAILED';

/** A tag problem: where its tag is written (an offset in the text) and what is wrong. */
export interface TagProblem {
  readonly offset: number;
  readonly message: string;
}

/** The tags of `doc` (parsed from `text`) that would change its value unseen, in the order written. */
export function tagProblems(doc: Document, text: string): TagProblem[] {
  // every tag starts with `!`: a file without one has none to look for
  if (!text.includes('!')) return [];
  const problems: TagProblem[] = [];
  for (const warning of doc.warnings) {
    if (warning.code !== UNRESOLVED) continue;
    const tag = /Unresolved tag: (.*)$/.exec(warning.message)?.[1] ?? '';
    const hint = tag === `${CORE_PREFIX}float` ? ' (the YAML library reads a float with a point or an exponent: 7.0, 7e0)' : '';
    const message = KNOWN_CORE.has(tag)
      ? `YAML error: the value does not fit its tag ${shortTag(tag)}${hint}: remove the tag, or write a value of its kind`
      : `YAML error: unknown tag ${tag.startsWith(CORE_PREFIX) ? shortTag(tag) : tag || 'here'}: DAG files take YAML 1.2's core tags only (${coreTagList()}); rxdag gives a tag no meaning`;
    problems.push({ offset: warning.pos[0], message });
  }
  const { visit } = require('yaml') as typeof import('yaml');
  visit(doc, {
    Node: (_key, node) => {
      const tag = node.tag;
      if (tag === undefined || !tag.startsWith(CORE_PREFIX) || JSON_TAGS.has(tag)) return;
      const kind = NOT_JSON[tag.slice(CORE_PREFIX.length)];
      if (kind === undefined) return; // unknown: the library warned of it
      const message = `YAML error: tag ${shortTag(tag)} gives ${kind}, which a DAG file cannot hold (JSON's values only: text, numbers, booleans, null, lists, mappings)`;
      problems.push({ offset: tagOffset(text, node.range?.[0] ?? 0), message });
    },
  });
  return problems.sort((a, b) => a.offset - b.offset);
}

/** `!!float` for `tag:yaml.org,2002:float`. */
function shortTag(tag: string): string {
  return `!!${tag.slice(CORE_PREFIX.length)}`;
}

function coreTagList(): string {
  return [...JSON_TAGS]
    .filter((tag) => !tag.endsWith(':merge'))
    .map(shortTag)
    .join(', ');
}

/**
 * Where the tag in front of the value at `valueStart` begins: the last `!` before it that starts a
 * token (after a space, a line start or a flow indicator), so that a `!` inside a comment or
 * inside the tag (`!!set`, `!e!binary`) is passed over.
 */
function tagOffset(text: string, valueStart: number): number {
  for (let at = text.lastIndexOf('!', valueStart); at >= 0; at = text.lastIndexOf('!', at - 1)) {
    if (at === 0 || /[\s[{,]/.test(text[at - 1]!)) return at;
  }
  return valueStart;
}
