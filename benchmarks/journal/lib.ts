import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type * as source from '../../src/index';
import type { Journal } from '../../src/index';

/**
 * The rxdag build the journal benchmark measures, as the other suites choose it: `src/` through
 * tsx (default), or with `RXDAG_BENCH_LIB=dist` (or `--lib dist`) the compiled `dist/`, rebuilt
 * with `tsc -p tsconfig.build.json` when a source file is newer than its output. Loaded lazily
 * with `require`, so only the chosen build is loaded, and the PostgreSQL entry only when asked:
 * it may not exist yet.
 */

export const ROOT = path.resolve(__dirname, '../..');

export type JournalLib = Pick<typeof source, 'defineDag' | 'runDag' | 'resumeRun' | 'fileJournal'>;

/** What the benchmark uses of `rxdag/postgres` (typed here so the benchmark compiles without it). */
export interface PostgresLib {
  postgresJournal(options: { readonly connectionString: string; readonly schema?: string }): Journal & { end(): Promise<void> };
}

export type LibKind = 'src' | 'dist';

export function libKind(): LibKind {
  return process.env.RXDAG_BENCH_LIB === 'dist' ? 'dist' : 'src';
}

function entry(kind: LibKind, name: 'index' | 'postgres/index'): string {
  return kind === 'src' ? path.join(ROOT, 'src', `${name}.ts`) : path.join(ROOT, 'dist', `${name}.js`);
}

export function loadJournalLib(kind: LibKind = libKind()): JournalLib {
  const file = entry(kind, 'index');
  const lib = require(file) as Partial<JournalLib>;
  for (const name of ['defineDag', 'runDag', 'resumeRun', 'fileJournal'] as const) {
    if (typeof lib[name] !== 'function')
      throw new Error(`${file} does not export ${name}${kind === 'dist' ? ': rebuild dist/ (npx tsc -p tsconfig.build.json)' : ''}`);
  }
  return lib as JournalLib;
}

/** The file of the PostgreSQL entry of this build, or why there is none. */
export function postgresEntry(kind: LibKind = libKind()): { readonly file: string } | { readonly missing: string } {
  const file = entry(kind, 'postgres/index');
  return existsSync(file) ? { file } : { missing: `${path.relative(ROOT, file)} does not exist (the PostgreSQL journal is not there yet)` };
}

export function loadPostgresLib(kind: LibKind = libKind()): PostgresLib {
  const found = postgresEntry(kind);
  if ('missing' in found) throw new Error(found.missing);
  const lib = require(found.file) as Partial<PostgresLib>;
  if (typeof lib.postgresJournal !== 'function') throw new Error(`${found.file} does not export postgresJournal`);
  return lib as PostgresLib;
}

/** `src/` files whose compiled output in `dist/` is missing or older (declaration-only files aside). */
export function staleDistFiles(): string[] {
  const stale: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, name.name);
      if (name.isDirectory()) walk(file);
      else if (name.name.endsWith('.ts') && !name.name.endsWith('.d.ts')) {
        const out = path.join(ROOT, 'dist', path.relative(path.join(ROOT, 'src'), file)).replace(/\.ts$/, '.js');
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(file).mtimeMs) stale.push(path.relative(ROOT, file));
      }
    }
  };
  walk(path.join(ROOT, 'src'));
  return stale;
}

/** Rebuilds `dist/` with `tsc -p tsconfig.build.json` when stale; throws with tsc's output when it reports errors. */
export function ensureFreshDist(log: (line: string) => void): void {
  const stale = staleDistFiles();
  if (stale.length === 0) {
    log('dist/ is up to date with src/');
    return;
  }
  log(`dist/ is stale (${stale.length} file(s) newer in src/, e.g. ${stale.slice(0, 3).join(', ')}): npx tsc -p tsconfig.build.json`);
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (tsc.status !== 0) {
    const output = `${tsc.stdout ?? ''}${tsc.stderr ?? ''}`.trim() || tsc.error?.message || `exit ${tsc.status ?? tsc.signal}`;
    throw new Error(
      `tsc -p tsconfig.build.json failed, dist/ not usable (measure src/ instead: without --lib dist):\n${output.split('\n').slice(0, 20).join('\n')}`,
    );
  }
}
