import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as api from '../src';

const root = join(__dirname, '..');
const apiDoc = readFileSync(join(root, 'docs', 'api.md'), 'utf8');
const index = readFileSync(join(root, 'src', 'index.ts'), 'utf8');
/** The event contract, which the entry re-exports whole (`export type * from './events'`). */
const events = readFileSync(join(root, 'src', 'events.ts'), 'utf8');

/** Names in `export { … }` and `export type { … }` lists of the public entry. */
function listedExports(source: string): string[] {
  return [...source.matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((match) =>
    match[1]!
      .split(',')
      .map((name) => name.trim().replace(/^type /, ''))
      .filter((name) => name.length > 0),
  );
}

/** Names a module declares with `export type|interface|class|const|function`. */
function declaredExports(source: string): string[] {
  return [...source.matchAll(/^export (?:type|interface|class|const|function) ([A-Za-z_$][\w$]*)/gm)].map((match) => match[1]!);
}

describe('the public API', () => {
  it('should document every export of the entry in docs/api.md', () => {
    const names = new Set([...Object.keys(api), ...listedExports(index)]);
    const undocumented = [...names].filter((name) => !new RegExp(`\`${name}[\`(<]`).test(apiDoc));
    expect(undocumented).toEqual([]);
  });

  it('should export every name docs/api.md gives the main entry', () => {
    const exported = new Set([...Object.keys(api), ...listedExports(index), ...declaredExports(events)]);
    // the first column of the tables above "Traces and metrics" (those are other entries)
    const mainEntry = apiDoc.split('## Traces and metrics')[0]!;
    const documented = mainEntry
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .flatMap((line) => [...line.split(' | ')[0]!.matchAll(/`([A-Za-z_$][\w$]*)/g)].map((match) => match[1]!));
    expect(documented.filter((name) => !exported.has(name))).toEqual([]);
  });

  it('should keep the internals out of the entry', () => {
    const names = new Set([...Object.keys(api), ...listedExports(index)]);
    for (const internal of ['RunDraft', 'Engine', 'RunController', 'EventWriter', 'AgentPool', 'AgentKind', 'schedulerWith']) {
      expect(names.has(internal)).toBe(false);
    }
  });
});
