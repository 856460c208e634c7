import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild'; // comes with tsx, a dev dependency
import { requirePeers } from '../src/peerDependency';

/**
 * An optional entry's check of its peers loads each through the `require` written out in the
 * entry, so that an application bundled with its peers (no `node_modules` beside it) passes it.
 */
describe('requirePeers', () => {
  it('should pass a peer its loader loads, wherever it comes from (a bundle packs it; nothing on disk)', () => {
    expect(() => requirePeers({ 'rxdag-spec-bundled-peer': () => ({ bundled: true }) }, 'rxdag/spec')).not.toThrow();
  });

  it('should name every peer that is not there, in one line with how to install them', () => {
    const load = (name: string) => () => require(name) as unknown;
    let thrown: unknown;
    try {
      requirePeers(
        { 'rxdag-spec-missing-a': load('rxdag-spec-missing-a'), 'rxdag-spec-missing-b': load('rxdag-spec-missing-b') },
        'rxdag/spec',
      );
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      code: 'MODULE_NOT_FOUND',
      message:
        'rxdag/spec needs the packages "rxdag-spec-missing-a" and "rxdag-spec-missing-b" (optional peer dependencies of rxdag), which are not installed: ' +
        "npm install rxdag-spec-missing-a rxdag-spec-missing-b (Cannot find module 'rxdag-spec-missing-a')",
    });
  });

  it('should throw as it is what a peer that is there throws as it loads (a module it needs is missing)', () => {
    const broken = Object.assign(new Error("Cannot find module 'its-own-dependency'"), { code: 'MODULE_NOT_FOUND' });
    expect(() =>
      requirePeers(
        {
          'rxdag-spec-broken-peer': () => {
            throw broken;
          },
        },
        'rxdag/spec',
      ),
    ).toThrow(broken);
  });
});

/**
 * An application bundled as an ES module (esbuild `--format=esm`, with the README's `require`
 * banner) loads the optional entries: their check of peers reads no `__dirname`, which such a
 * bundle lacks.
 */
describe('an optional entry in a bundle made as an ES module', () => {
  it('should load, its peers checked', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rxdag-esm-bundle-'));
    const out = path.join(dir, 'app.mjs');
    try {
      await build({
        stdin: {
          contents: `import { postgresJournal } from './src/postgres/index';\nconsole.log(typeof postgresJournal);`,
          resolveDir: path.join(__dirname, '..'),
          loader: 'ts',
        },
        bundle: true,
        platform: 'node',
        format: 'esm',
        outfile: out,
        logLevel: 'silent',
        banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
      });
      expect(execFileSync(process.execPath, [out], { encoding: 'utf8', timeout: 20_000 })).toBe('function\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
