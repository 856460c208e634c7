/**
 * The environment variables that hold the CLI's own secrets (the key schedulers and workers
 * share, Redis's password). They are read by the commands and kept from the processes of shell
 * tasks, whose environment is otherwise the CLI's: a task, or any tool it runs, must not be able
 * to sign jobs or reach Redis with them. Nothing else is here.
 */

/** The key schedulers and workers share, when `--key-file` is not given. */
export const KEY_VARIABLE = 'RXDAG_WORKER_KEY';

/** Redis's password, kept off the command line (where `ps` shows it). */
export const PASSWORD_VARIABLE = 'RXDAG_REDIS_PASSWORD';

const SECRET_VARIABLES: readonly string[] = [KEY_VARIABLE, PASSWORD_VARIABLE];

/** `env` without the CLI's secrets. */
export function withoutSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const kept = { ...env };
  for (const name of SECRET_VARIABLES) delete kept[name];
  return kept;
}
