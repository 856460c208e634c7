import { isDeepStrictEqual } from 'node:util';
import type { TaskModel } from './model';
import type { RunRecord } from './observation';

/**
 * The upstream check both harnesses make when an agent is called: `upstream` holds exactly the
 * outputs of the task's completed dependencies (none without context injection), as plain data
 * with no foreign prototype. `tag` names the attempt in the violations (and where it ran).
 */
export function checkUpstream(
  upstream: Readonly<Record<string, unknown>>,
  run: RunRecord,
  task: TaskModel,
  contextInjection: boolean,
  tag: string,
  violation: (message: string) => void,
): void {
  const proto: unknown = Object.getPrototypeOf(upstream);
  if (proto !== Object.prototype && proto !== null)
    violation(`upstream of ${tag} has a foreign prototype (a dependency's output became its prototype)`);
  // a Map, not an object: a dependency may be called `__proto__`
  const expected = new Map<string, unknown>();
  if (contextInjection) {
    for (const dep of task.deps) if (run.outputs.has(dep)) expected.set(dep, run.outputs.get(dep));
  }
  const keys = Object.keys(upstream).sort();
  const wanted = [...expected.keys()].sort();
  if (!isDeepStrictEqual(keys, wanted)) {
    violation(`upstream of ${tag} has keys ${JSON.stringify(keys)}, expected ${JSON.stringify(wanted)}`);
    return;
  }
  for (const key of wanted) {
    if (!isDeepStrictEqual(upstream[key], expected.get(key))) violation(`upstream["${key}"] of ${tag} differs from that task's output`);
  }
}
