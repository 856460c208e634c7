/**
 * The options that send attempts through Redis, shared by `rxdag run`, `rxdag resume` and
 * `rxdag worker`: `--redis URL`, `--redis-prefix`, the signing key (`--key-file PATH`, else
 * `RXDAG_WORKER_KEY`) and `--insecure`, checked into {@link RemoteSettings}: a URL that is not a
 * `redis://` or `rediss://` URL is refused here, before the store or bullmq is looked at. A
 * password may come from `RXDAG_REDIS_PASSWORD` instead of the URL, which `ps` shows (and lines
 * about a refused password then name the variable, `credentialsAsGiven`). It reads
 * the key file but loads no Redis client and opens no connection: the loopback check and whether
 * Redis answers are `redisAccess.ts`'s, loaded only when `--redis` is given.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
// the URL rules of `rxdag/bullmq`, from its module that loads neither bullmq nor ioredis
import { namesConnections } from '../../bullmq/connectionName';
import { messageOf, redisTarget } from '../../bullmq/redisConnection';
import { MIN_KEY_BYTES, textTrimmed } from '../../bullmq/signing';
import { escapeControls } from '../../dag/text';
import { describeIoError } from '../commands/writeTarget';
import { KEY_VARIABLE, PASSWORD_VARIABLE } from '../secretVariables';
import { shellWord } from '../shellWord';
import type { Problem } from '../problems';

/** The remote options as commander hands them over. */
export interface RawRemoteOptions {
  /** `--redis redis://[:password@]host:port[/db]` or `rediss://…`. */
  readonly redis?: string;
  /** `--redis-prefix`: prefix of every Redis key. */
  readonly redisPrefix?: string;
  /** `--key-file PATH`: the key schedulers and workers share. */
  readonly keyFile?: string;
  /** `--insecure`: accept a Redis off this machine without a key. */
  readonly insecure?: boolean;
}

/** Where attempts go and how they are protected, checked. */
export interface RemoteSettings {
  /** As given: it may hold a password, so it is never printed (`RedisTarget.location` is). */
  readonly url: string;
  readonly prefix: string;
  /** The Redis database the URL selects (0 when it names none). */
  readonly db: number;
  /** The shared signing key, if any. */
  readonly key: Buffer | undefined;
  /** Where the key came from, for messages: `--key-file PATH` or `RXDAG_WORKER_KEY`. */
  readonly keySource: string | undefined;
  /** A word of warning about the key, said where the key is named: a key file other users can read. */
  readonly keyNote?: string | undefined;
  /** The key file was a pipe (`--key-file <(pass show key)`): a hint cannot name it again. */
  readonly keyFromPipe?: boolean | undefined;
  readonly insecure: boolean;
  /** The password came from `RXDAG_REDIS_PASSWORD`, not from the URL given. */
  readonly passwordFromEnv?: boolean | undefined;
}

export { KEY_VARIABLE, PASSWORD_VARIABLE } from '../secretVariables';

/**
 * A library's line as the command says it: the password the library sees in the URL was put
 * there from `RXDAG_REDIS_PASSWORD` when `passwordFromEnv`, and is named as that one.
 */
export function credentialsAsGiven(passwordFromEnv: boolean | undefined, username: string | undefined): (line: string) => string {
  if (passwordFromEnv !== true) return (line) => line;
  const given = username ? `user name of the URL or the password of ${PASSWORD_VARIABLE}` : `password of ${PASSWORD_VARIABLE}`;
  return (line) => line.replace('user name or password of the URL', given);
}

/** The prefix of Redis keys unless `--redis-prefix` says otherwise (the library's default). */
export const DEFAULT_REDIS_PREFIX = 'rxdag';

/**
 * Checks the remote options, adding what is wrong to `problems`. `undefined` without `--redis`
 * (then the other remote options are problems), or when something was wrong.
 */
export function resolveRemoteOptions(raw: RawRemoteOptions, env: NodeJS.ProcessEnv, problems: Problem[]): RemoteSettings | undefined {
  if (raw.redis === undefined) {
    const stray = [
      raw.redisPrefix === undefined ? undefined : '--redis-prefix',
      raw.keyFile === undefined ? undefined : '--key-file',
      raw.insecure === true ? '--insecure' : undefined,
    ].filter((flag) => flag !== undefined);
    if (stray.length > 0)
      problems.push({
        message: `${stray.join(', ')} only ${stray.length === 1 ? 'applies' : 'apply'} with --redis (attempts sent to rxdag worker processes)`,
      });
    return undefined;
  }
  const before = problems.length;
  const urlProblem = redisUrlProblem(raw.redis);
  if (urlProblem !== undefined) problems.push({ message: urlProblem });
  const prefix = raw.redisPrefix ?? DEFAULT_REDIS_PREFIX;
  if (prefix.length < 1 || prefix.length > 200 || !namesConnections(prefix))
    problems.push({
      message: `--redis-prefix must be 1 to 200 printable ASCII characters without whitespace, which Redis names its connections after (got ${JSON.stringify(prefix)})`,
    });
  const url = urlProblem === undefined ? withEnvPassword(raw.redis, env, problems) : raw.redis;
  const { key, keySource, keyNote, keyFromPipe } = readKey(raw.keyFile, env, problems);
  if (problems.length > before) return undefined;
  const passwordFromEnv = url !== raw.redis;
  return {
    url,
    prefix,
    db: redisTarget(url, '--redis').options.db ?? 0,
    key,
    keySource,
    keyNote,
    ...(keyFromPipe === true ? { keyFromPipe } : {}),
    insecure: raw.insecure === true,
    passwordFromEnv,
  };
}

/**
 * `url` with the password of `RXDAG_REDIS_PASSWORD`, when that is set (a URL on the command line
 * is seen by `ps`); a URL that has a password of its own as well is a problem: one of the two
 * would be ignored.
 */
function withEnvPassword(url: string, env: NodeJS.ProcessEnv, problems: Problem[]): string {
  const password = env[PASSWORD_VARIABLE];
  if (password === undefined || password === '') return url;
  const parsed = new URL(url);
  if (parsed.password !== '') {
    problems.push({ message: `--redis has a password and ${PASSWORD_VARIABLE} is set too: give the password in one of them` });
    return url;
  }
  parsed.password = encodeURIComponent(password);
  return parsed.href;
}

/**
 * What is wrong with a `--redis` URL (not `redis://` nor `rediss://`, not a URL, a database that
 * is not a number), never quoting its password; `undefined` for a Redis URL.
 *
 * @example
 * redisUrlProblem('http://x') // "--redis: the URL must be a redis:// or rediss:// URL, got http://… (e.g. …)"
 */
export function redisUrlProblem(url: string): string | undefined {
  try {
    redisTarget(url, '--redis');
    return undefined;
  } catch (error) {
    // the library's words name its option; the password never is in them
    const message = messageOf(error).replace(/`connection`/g, 'the URL');
    return `${message} (e.g. redis://127.0.0.1:6379 or rediss://:PASSWORD@HOST:6380)`;
  }
}

/**
 * The remote options again, for the `resume with:` line of a run sent to workers: `--redis` with
 * the location as printed (a password is `***`: the user puts it back; one from
 * `RXDAG_REDIS_PASSWORD` is left out, the variable gives it again), and the prefix, key file and
 * `--insecure` when they were given.
 */
export function remoteFlags(settings: RemoteSettings, location: string): string {
  // the key file's absolute path: the hint is kept in the run's journal, and read in other folders
  const keyFile =
    settings.keySource?.startsWith('--key-file ') !== true
      ? undefined
      : settings.keyFromPipe === true
        ? '<(…)'
        : shellWord(path.resolve(settings.keySource.slice('--key-file '.length)));
  const url = settings.passwordFromEnv === true ? location.replace(':***@', '@').replace('//@', '//') : location;
  return [
    ` --redis ${shellWord(url)}`,
    settings.prefix === DEFAULT_REDIS_PREFIX ? '' : ` --redis-prefix ${shellWord(settings.prefix)}`,
    keyFile === undefined ? '' : ` --key-file ${keyFile}`,
    settings.insecure ? ' --insecure' : '',
  ].join('');
}

/**
 * What is wrong with a key file owned by `uid`: its owner could write another key into it, so it
 * must be the user running the command, or root (who could anyway). Undefined when it is fine
 * (and where a process has no user id to compare).
 */
export function ownerProblem(uid: number): string | undefined {
  const own = process.getuid?.();
  if (own === undefined || uid === own || uid === 0) return undefined;
  return `a file of another user (uid ${uid}; this command runs as uid ${own}), who could write another key into it`;
}

/** The key from `--key-file` (surrounding whitespace ignored), else from `RXDAG_WORKER_KEY`. */
function readKey(
  keyFile: string | undefined,
  env: NodeJS.ProcessEnv,
  problems: Problem[],
): { key?: Buffer; keySource?: string; keyNote?: string; keyFromPipe?: boolean } {
  let key: Buffer;
  let source: string;
  let keyNote: string | undefined;
  let keyFromPipe = false;
  if (keyFile !== undefined) {
    source = `--key-file ${escapeControls(keyFile)}`; // printed in lines that say where the key came from
    try {
      // opened once, and what it is asked of that: a device would be read for ever, a big file is
      // not a key; a pipe (`--key-file <(pass show key)`) is read up to a key's size
      const fd = openSync(keyFile, 'r');
      try {
        const stat = fstatSync(fd);
        const piped = stat.isFIFO();
        const owner = ownerProblem(stat.uid);
        if (owner !== undefined) {
          problems.push({ message: `${source}: ${owner}; the key file must be yours (or root's): chown or copy it` });
          return {};
        }
        if ((stat.isFile() || piped) && (stat.mode & 0o022) !== 0) {
          // whoever can write it chooses the key a start reads, and can then sign jobs
          const mode = (stat.mode & 0o777).toString(8);
          problems.push({
            message: `${source}: a ${piped ? 'pipe' : 'file'} other users can write to (mode ${mode})${piped ? '' : `: chmod 600 ${shellWord(keyFile)}`}`,
          });
          return {};
        }
        const notKey =
          !stat.isFile() && !piped
            ? 'not a regular file or a pipe'
            : stat.size > MAX_KEY_FILE_BYTES
              ? `a file of ${stat.size} bytes`
              : undefined;
        const bytes = notKey === undefined ? readAtMost(fd, MAX_KEY_FILE_BYTES + 1) : undefined;
        const tooLong = bytes !== undefined && bytes.length > MAX_KEY_FILE_BYTES ? `more than ${MAX_KEY_FILE_BYTES} bytes` : undefined;
        if (bytes === undefined || tooLong !== undefined) {
          problems.push({
            message: `${source}: ${notKey ?? tooLong}; the key file holds one key (e.g. the 64 hex characters of: openssl rand -hex 32)`,
          });
          return {};
        }
        // as bytes, as the library reads a key file (`readFileSync`): a binary key is not text to decode
        key = textTrimmed(bytes);
        keyFromPipe = piped;
        if (!piped && (stat.mode & 0o044) !== 0) {
          keyNote = `which other users of this machine can read (mode ${(stat.mode & 0o777).toString(8)}): chmod 600 ${shellWord(keyFile)}`;
        }
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      problems.push({ message: `${source}: cannot read the key: ${describeIoError(error)}` });
      return {};
    }
  } else {
    const variable = env[KEY_VARIABLE];
    if (variable === undefined || variable === '') return {};
    source = KEY_VARIABLE;
    key = Buffer.from(variable.trim(), 'utf8');
  }
  if (key.length < MIN_KEY_BYTES) {
    problems.push({
      message: `${source}: the key must be at least ${MIN_KEY_BYTES} bytes (got ${key.length}); make one with: openssl rand -hex 32 > worker.key`,
    });
    return {};
  }
  return { key, keySource: source, ...(keyNote === undefined ? {} : { keyNote }), ...(keyFromPipe ? { keyFromPipe } : {}) };
}

/** The biggest key file read: a key is a line of text. */
const MAX_KEY_FILE_BYTES = 4096;

/** The first `limit` bytes of an open file or pipe, or all it held (until its writer closed it). */
function readAtMost(fd: number, limit: number): Buffer {
  const buffer = Buffer.alloc(limit);
  let length = 0;
  while (length < limit) {
    const read = readSync(fd, buffer, length, limit - length, null);
    if (read === 0) break;
    length += read;
  }
  return buffer.subarray(0, length);
}
