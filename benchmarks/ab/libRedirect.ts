import Module from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Preloaded (`--import`, after tsx's loader) in each A/B child: every module the benchmark code
 * resolves inside this checkout's `src/` is served from the build named by `RXDAG_AB_DIST`
 * (`src/index.ts` → `DIST/index.js`). So `executors/rxdagLib.ts`, which imports `../../src/index`,
 * hands the unchanged cases (`cases/throughput.ts`, `cases/latency.ts`) the build under test,
 * and the working tree's `src/` (which others may be editing) is never loaded.
 *
 * At exit the child fails (exit code 1) if the build was not loaded or a `src/` module was.
 */

const distDir = process.env.RXDAG_AB_DIST;
if (distDir === undefined || !fs.existsSync(path.join(distDir, 'index.js'))) {
  throw new Error(`RXDAG_AB_DIST must name a built dist/ folder with an index.js (got ${String(distDir)})`);
}
const DIST = path.resolve(distDir);
const SRC = path.resolve(__dirname, '../../src') + path.sep;

type ResolveFilename = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;
const loader = Module as unknown as { _resolveFilename: ResolveFilename };
const resolveFilename = loader._resolveFilename;
let redirected = 0;

loader._resolveFilename = function (request, parent, isMain, options) {
  const resolved = resolveFilename.call(this, request, parent, isMain, options);
  if (!resolved.startsWith(SRC)) return resolved;
  const target = path.join(DIST, resolved.slice(SRC.length)).replace(/\.[cm]?tsx?$/, '.js');
  if (!fs.existsSync(target)) throw new Error(`A/B child: ${resolved} has no counterpart ${target} in the build under test`);
  redirected++;
  return target;
};

process.on('exit', () => {
  const loaded = Object.keys(require.cache);
  const fromSrc = loaded.filter((file) => file.startsWith(SRC));
  const entry = path.join(DIST, 'index.js');
  if (fromSrc.length > 0 || redirected === 0 || !loaded.includes(entry)) {
    process.stderr.write(
      `A/B child: expected rxdag from ${entry} only; redirected ${redirected} import(s), ` +
        `${loaded.includes(entry) ? 'loaded' : 'did NOT load'} the build, src/ modules loaded: ${fromSrc.join(', ') || 'none'}\n`,
    );
    process.exitCode = 1;
  }
});
