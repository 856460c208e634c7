/**
 * The environment variables that hold the CLI's own secrets (the key schedulers and workers
 * share, Redis's password, the store's address when it carries a password). They are read by the
 * commands and kept from the processes of shell tasks, whose environment is otherwise the CLI's:
 * a task, or any tool it runs, must not be handed the means to sign jobs, reach Redis or rewrite
 * the store's journals. (A task running as the same user can still read the CLI's environment from
 * `/proc`: this keeps the secrets out of the tools' way, it is no barrier to a hostile task.)
 * The variables a store's connection reads its secret from ({@link storeSecretVariables}) are kept
 * from the tasks of the commands that open it. Nothing else is here.
 */
import { redactConnectionString } from '../postgres/connectionString';

/** The key schedulers and workers share, when `--key-file` is not given. */
export const KEY_VARIABLE = 'RXDAG_WORKER_KEY';

/** Redis's password, kept off the command line (where `ps` shows it). */
export const PASSWORD_VARIABLE = 'RXDAG_REDIS_PASSWORD';

const SECRET_VARIABLES: readonly string[] = [KEY_VARIABLE, PASSWORD_VARIABLE];

/** Where runs are journaled (`store/storeLocation.ts` reads it): a secret when it carries a password. */
const STORE_VARIABLE = 'RXDAG_STORE';

/** The variable `pg` reads a password from when the connection string has none. */
const PG_PASSWORD_VARIABLE = 'PGPASSWORD';

/**
 * The variables that hold the password of the PostgreSQL store at `connectionString`: `PGPASSWORD`
 * when the address holds none (`pg` reads it then), or when it holds the one `env` has there.
 */
export function storeSecretVariables(connectionString: string, env: NodeJS.ProcessEnv = process.env): readonly string[] {
  if (!carriesPassword(connectionString)) return [PG_PASSWORD_VARIABLE];
  const given = env[PG_PASSWORD_VARIABLE];
  return given !== undefined && given !== '' && passwordsIn(connectionString).includes(given) ? [PG_PASSWORD_VARIABLE] : [];
}

/** The passwords a store's address holds: a URL's own, its `password` parameters; none when it cannot be read. */
function passwordsIn(connectionString: string): string[] {
  try {
    const url = new URL(connectionString);
    return [decodeURIComponent(url.password), ...url.searchParams.getAll('password')];
  } catch {
    // keywords, `host=db password=secret`: a value up to the next space, or quoted
    return [...connectionString.matchAll(/\bpassword\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))/gi)].map(
      ([, quoted, plain]) => quoted?.replace(/\\(.)/g, '$1') ?? plain!,
    );
  }
}

/** `env` without the CLI's secrets, nor the variables named in `hidden` (a store's: {@link storeSecretVariables}). */
export function withoutSecrets(env: NodeJS.ProcessEnv, hidden: readonly string[] = []): NodeJS.ProcessEnv {
  const kept = { ...env };
  for (const name of [...SECRET_VARIABLES, ...hidden]) delete kept[name];
  const store = kept[STORE_VARIABLE];
  if (store !== undefined && carriesPassword(store)) delete kept[STORE_VARIABLE];
  return kept;
}

/** Whether a store's address holds a password: what messages would show of it as `***` (its credentials, a `password` parameter however written). */
function carriesPassword(store: string): boolean {
  return redactConnectionString(store) !== store;
}
