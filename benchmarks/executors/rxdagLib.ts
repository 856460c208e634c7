import * as path from 'node:path';
import * as source from '../../src/index';

/**
 * The rxdag build under test: the TypeScript sources (default, run through tsx) or, with
 * `RXDAG_BENCH_LIB=dist`, the compiled `dist/` of `npm run build` (what the profiler maps back
 * to `src/` lines through tsc's source maps).
 */
export type RxdagLib = Pick<typeof source, 'defineDag' | 'runDag'>;

/** Which build `loadRxdag` returns. */
export function rxdagLibKind(): 'src' | 'dist' {
  return process.env.RXDAG_BENCH_LIB === 'dist' ? 'dist' : 'src';
}

export function loadRxdag(): RxdagLib {
  if (rxdagLibKind() === 'src') return source;
  const distEntry = path.resolve(__dirname, '../../dist/index.js');
  const loaded: unknown = require(distEntry);
  if (!isRxdagLib(loaded)) throw new Error(`${distEntry} does not export defineDag and runDag: run \`npm run build\` first`);
  return loaded;
}

function isRxdagLib(value: unknown): value is RxdagLib {
  const lib = value as Partial<Record<keyof RxdagLib, unknown>> | null;
  return typeof lib?.defineDag === 'function' && typeof lib.runDag === 'function';
}
