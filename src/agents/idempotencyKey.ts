/**
 * The idempotency key of a task of a run: `runId/taskId`, each part with `%` and `/` escaped
 * (`%25`, `%2F`) so that no two (run, task) pairs share a key (run `a/b` task `c` against run `a`
 * task `b/c`). Ids without either character, the usual ones, read as they are. It makes the key
 * and nothing else: when agents read it is the attempt context's business.
 *
 * @example
 * idempotencyKeyOf('nightly-42', 'fetch')     // 'nightly-42/fetch'
 * idempotencyKeyOf('tenant/7', 'step/1')      // 'tenant%2F7/step%2F1'
 */
export function idempotencyKeyOf(runId: string, taskId: string): string {
  return `${keyPart(runId)}/${keyPart(taskId)}`;
}

function keyPart(id: string): string {
  // most ids hold neither character: no regex and no new string for them
  return id.includes('/') || id.includes('%') ? id.replace(/%/g, '%25').replace(/\//g, '%2F') : id;
}
