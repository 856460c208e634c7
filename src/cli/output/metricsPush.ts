/**
 * `--metrics-push URL`: the metrics of a run (the registry `metricsEndpoint.ts` counts) pushed
 * once to a Prometheus Pushgateway when `rxdag run` or `rxdag resume` ends — the run succeeded,
 * failed, was cancelled by Ctrl-C or left interrupted by SIGTERM — so that a run shorter than
 * Prometheus's scrape interval (a cron job, a CI step) is still seen. The push is a PUT
 * (prom-client's `push`, not `pushAdd`'s POST) to job `rxdag`, grouped by label `dag` = the
 * DAG's id: each run of a DAG replaces the whole group its last run pushed, so the group holds
 * one run's metrics, not a mix of series from runs that had different ones.
 *
 * A push that fails (no gateway, an HTTP error, no answer within {@link PUSH_TIMEOUT_MS}) never
 * changes what the run did: one line on stderr, and exit 74 only for a run that succeeded, as
 * for the report and the task logs. It does not count the metrics nor load prom-client
 * (`metricsEndpoint.ts` does), and it pushes nothing for a command that ran nothing.
 */
import { parse as legacyParse, resolve as legacyResolve } from 'node:url';
import type { Registry } from 'prom-client';
import { escapeControls } from '../../dag/text';
import { withoutPassword } from '../../urlCredentials';
import { ExitCode } from '../exitCodes';
import type { Problem } from '../problems';

/** The Pushgateway job every push of the CLI goes to. */
export const PUSH_JOB = 'rxdag';

/**
 * Longest a push may take, connection included: a gateway that does not answer cannot hold the
 * command past it.
 */
export const PUSH_TIMEOUT_MS = 5000;

/**
 * The URL `--metrics-push` names, or undefined when the flag is absent or wrong (then a problem
 * is added to `problems`: the CLI reports every bad option at once). A password in the URL is
 * never quoted back.
 */
export function checkMetricsPush(value: string | undefined, problems: Problem[]): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const literal = /^https?:\/\/[^\\\s\x00-\x1f\x7f]+$/i.test(value);
  if (
    url !== undefined &&
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.hostname !== '' &&
    literal &&
    sameTarget(value, url)
  ) {
    const wrong = pushPathProblem(url);
    if (wrong === undefined) return value;
    problems.push({ message: `--metrics-push ${shownUrl(value)} ${wrong}` });
    return undefined;
  }
  // credentials the parser could not read: a password holding one of the characters that end the host
  const escapes =
    url === undefined && /^https?:\/\/[^@]*:[^@]*[/?#\\][^@]*@/i.test(value)
      ? ' (a password holding / ? # or \\ is written %2F %3F %23 %5C)'
      : '';
  problems.push({
    message: `--metrics-push must be the http:// or https:// URL of a Prometheus Pushgateway, such as http://localhost:9091 (got ${JSON.stringify(shownUrl(value))})${escapes}`,
  });
  return undefined;
}

/** `url` for a message: its password hidden, then its query and fragment left out (a token may be there). */
function shownUrl(url: string): string {
  return withoutCredentials(url).replace(/[?#].*$/s, '');
}

/**
 * `url` with its password hidden; an `@` in its path after a plain `HOST[:PORT]`
 * (`/metrics/job@base64/…`) is the path's, and hides nothing. With credentials, all up to the
 * last `@` is hidden, the host with it: which `@` ends a password is not sure (one holding an
 * `@`, a `?` or a `#` unencoded would show in part).
 */
function withoutCredentials(url: string): string {
  return /^https?:\/\/[\w.-]+(?::\d{1,5})?\/[^@]*@/i.test(url) ? url : withoutPassword(url);
}

/** What of a Pushgateway's URL would not be where the push goes: a query, a fragment, the push path itself. */
function pushPathProblem(url: URL): string | undefined {
  if (url.search !== '' || url.hash !== '') return 'holds a query or a fragment (?…, #…), which the push drops: give the URL without';
  // as the Pushgateway reads it: `%2F` is a slash, `job@base64` (`%40`) the job's encoded form
  const path = url.pathname.replace(/%2f/gi, '/').replace(/%40/g, '@');
  if (/\/metrics\/+job(?:[/@]|$)/i.test(path))
    return "holds the push path (/metrics/job/…), which rxdag adds: give the Pushgateway's own URL, such as http://localhost:9091";
  return undefined;
}

/**
 * Whether prom-client, which reads the text with Node's legacy parser, sends to the host and
 * port the URL parser read: the legacy one ends a host at characters the other keeps in it
 * (`gw%2eexample.com`, `localhost;gw.example:9091` went to port 80 of `gw` or `localhost`, the
 * credentials with them), and finds none in `http:/u:PW@gw`.
 */
function sameTarget(text: string, url: URL): boolean {
  let legacy: ReturnType<typeof legacyParse>;
  try {
    // the target as prom-client makes it: its path after the URL's, resolved on the text (where `//…` is a host)
    const { pathname } = legacyParse(text);
    legacy = legacyParse(legacyResolve(text, `${pathname !== null && pathname !== '/' ? pathname : ''}/metrics/job/${PUSH_JOB}`));
  } catch {
    return false; // a `%` not followed by two hex digits in the credentials: it throws
  }
  const defaultPort = url.protocol === 'https:' ? '443' : '80';
  return legacy.hostname === url.hostname.replace(/^\[(.*)\]$/, '$1') && (legacy.port ?? defaultPort) === (url.port || defaultPort);
}

/**
 * The grouping of a DAG's pushes: `{ dag: id }`, or `{ 'dag@base64': … }` for an id with a `/`
 * or one that is a dot segment (`.`, `..`, which a URL path resolves away), which the
 * Pushgateway takes in a URL path only base64url-encoded (it reads the `dag` label the same).
 */
export function pushGroupingOf(dagId: string): Record<string, string> {
  const encoded = dagId.includes('/') || dagId === '.' || dagId === '..';
  return encoded ? { 'dag@base64': Buffer.from(dagId).toString('base64url') } : { dag: dagId };
}

/** What a push needs of prom-client: its `Pushgateway` class. */
export interface PushClient {
  readonly Pushgateway: typeof import('prom-client').Pushgateway;
}

/**
 * Pushes `registry` to the Pushgateway at `url` (PUT, job {@link PUSH_JOB}, grouped by the
 * DAG's id) and resolves with undefined, or with the line that says why it could not (the
 * request is aborted after `timeoutMs`). Never rejects.
 */
export async function pushMetrics(
  promClient: PushClient,
  registry: Registry,
  url: string,
  dagId: string,
  timeoutMs: number = PUSH_TIMEOUT_MS,
): Promise<string | undefined> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  // the race bounds the push whatever the request does; the abort frees its socket
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      resolve(`no answer within ${timeoutMs / 1000} s`);
      abort.abort();
    }, timeoutMs);
  });
  // prom-client adds `/metrics/job/…` to the path as it is: `http://gw/pg/` would push to `/pg//metrics/…`
  const gateway = new promClient.Pushgateway(url.replace(/^([^?#]*?[^/?#])\/+(?=$|[?#])/, '$1'), { signal: abort.signal }, registry);
  const pushed = gateway.push({ jobName: PUSH_JOB, groupings: pushGroupingOf(dagId) }).then(
    () => undefined,
    (error: unknown) => reasonOf(error),
  );
  try {
    const reason = await Promise.race([pushed, timedOut]);
    return reason === undefined ? undefined : `rxdag: cannot push the metrics to the Pushgateway ${withoutCredentials(url)}: ${reason}`;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The exit code of a command whose run of the DAG `dagId` ended with `code`, once its metrics
 * are pushed (`push` resolves with the line of a failed push, printed on `stderr`): the run's
 * own code, or 74 for a run that succeeded but whose push failed. A command that ran nothing
 * (exit 2: the store refused the run) pushes nothing: the DAG's last run stays in the gateway.
 */
export async function exitCodeAfterPush(
  code: number,
  push: ((dagId: string) => Promise<string | undefined>) | undefined,
  dagId: string,
  stderr: { write(text: string): unknown },
): Promise<number> {
  if (push === undefined || code === ExitCode.invalid) return code;
  const failure = await push(dagId);
  if (failure === undefined) return code;
  stderr.write(`${failure}\n`);
  return code === ExitCode.ok ? ExitCode.outputFailed : code;
}

/** The text of an HTML page, its title and head left out, one line per block of text. */
function htmlText(html: string): string {
  return html
    .replace(/<head[\s\S]*?<\/head>|<title[\s\S]*?<\/title>|<(script|style)[\s\S]*?<\/\1>/gi, '')
    .replace(/<[^>]*>/g, '\n')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;|&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => line !== '')
    .join(' ');
}

/** Why a push failed, in one line: the gateway's status and the first line of its answer, or the network error. */
function reasonOf(error: unknown): string {
  // not `instanceof Error`: Node's network errors may come from another realm
  const { message } = (error ?? {}) as { message?: unknown };
  if (typeof message !== 'string') return escapeControls(String(error));
  // prom-client's words for an answer of 400 or more: "push failed with status 500, <body>"
  const refused = /^push failed with status (\d+), ?([\s\S]*)$/.exec(message);
  if (refused === null) return escapeControls(message);
  // an HTML error page says its words between tags: `<!DOCTYPE HTML>` alone says nothing
  // the first 16 KB: an error page says what it says at its start, and the patterns read no further
  const answered = refused[2]!.slice(0, 16_384);
  const body = /^\s*<(!doctype|html)\b/i.test(answered) ? htmlText(answered) : answered;
  const said = body.split('\n').find((line) => line.trim() !== '');
  const answer = said === undefined ? '' : `: ${escapeControls(said.trim().slice(0, 200))}`;
  return `it answered HTTP ${refused[1]!}${answer}`;
}
