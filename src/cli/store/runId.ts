/**
 * The id `rxdag run` gives a journaled run: `${dagId}-${yyyymmdd}-${hhmm}-${4 random}`, e.g.
 * `release-20261202-0712-a1b2`, in local time, so that a person can tell runs apart and type
 * one into `rxdag resume`. It does not check that the id is free: the journal refuses one it
 * already holds, and `rxdag run` then draws another (`commands/createRun.ts`).
 */
import { headOf } from '../../dag/text';

/** The library's longest run id. */
const MAX_RUN_ID_LENGTH = 256;

/**
 * A new run id for a run of `dagId` started at `now`. A DAG id so long that the id would pass
 * the library's 256 characters is shortened (never inside a surrogate pair: an emoji).
 *
 * @example
 * newRunId('release', new Date(2026, 11, 2, 7, 12)) // "release-20261202-0712-a1b2"
 */
export function newRunId(dagId: string, now: Date = new Date(), random: () => number = Math.random): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${two(now.getMonth() + 1)}${two(now.getDate())}-${two(now.getHours())}${two(now.getMinutes())}`;
  const suffix = Array.from({ length: 4 }, () => '0123456789abcdefghijklmnopqrstuvwxyz'[Math.floor(random() * 36)]).join('');
  const tail = `-${stamp}-${suffix}`;
  return `${headOf(dagId, MAX_RUN_ID_LENGTH - tail.length)}${tail}`;
}
