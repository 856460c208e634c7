import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as api from '../src';

const root = join(__dirname, '..');
const apiDoc = readFileSync(join(root, 'docs', 'api.md'), 'utf8');
const index = readFileSync(join(root, 'src', 'index.ts'), 'utf8');

/** Names in `export { … }` and `export type { … }` lists of the public entry. */
function listedExports(source: string): string[] {
  return [...source.matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((match) =>
    match[1]!
      .split(',')
      .map((name) => name.trim().replace(/^type /, ''))
      .filter((name) => name.length > 0),
  );
}

describe('the public API', () => {
  it('should document every export of the entry in docs/api.md', () => {
    const names = new Set([...Object.keys(api), ...listedExports(index)]);
    const undocumented = [...names].filter((name) => !new RegExp(`\`${name}[\`(<]`).test(apiDoc));
    expect(undocumented).toEqual([]);
  });

  it('should keep the internals out of the entry', () => {
    const names = new Set([...Object.keys(api), ...listedExports(index)]);
    for (const internal of ['RunDraft', 'Engine', 'RunController', 'EventWriter', 'AgentPool', 'AgentKind', 'schedulerWith']) {
      expect(names.has(internal)).toBe(false);
    }
  });
});
