/**
 * A URL's password hidden for messages. It works on text the URL parser refuses too (a password
 * with `/`, `?` or `#` in it, a bad port) and on mistyped URLs (`redis:/:PW@host`,
 * `postgres//u:PW@host`): such text is what gets quoted back in an error, so everything before
 * the last `@` (after `scheme://` when there is one) is taken as the credentials, and what
 * follows their first `:` becomes `***`. It checks nothing and parses nothing else.
 */

/**
 * `text` with the password of its credentials replaced by `***`. A user without a password is
 * kept as it is. After a scheme without its `//` (`redis:PW@host`, `redis:P:W@host`) nothing
 * before the `@` is shown: all of it may be the password.
 *
 * @example
 * withoutPassword('postgres://root:p#ss/9@db:5432/x') // 'postgres://root:***@db:5432/x'
 */
export function withoutPassword(written: string): string {
  const text = withAsciiMarks(written);
  // greedy: an `@` in the password is part of it
  const credentials = /^([a-z][a-z0-9+.-]*:(\/*))?(.*)@/is.exec(text);
  if (credentials === null) return text;
  const [whole, scheme = '', slashes, userInfo] = credentials as unknown as [string, string | undefined, string | undefined, string];
  const rest = text.slice(whole.length);
  // a mistyped scheme before the credentials is kept whole (`“postgres://`, `postgres:://`,
  // `jdbc:postgresql://`), only where it cannot be a password's start: a known scheme where none was
  // read or after one read without its `//`, or colons doubled after it, followed by credentials
  // with their colon
  const leads = scheme === '' ? [MISTYPED_SCHEME] : slashes === '' ? [EXTRA_COLONS, MISTYPED_SCHEME] : [];
  const found = leads.map((lead) => lead.exec(userInfo)?.[0]).find((match) => match !== undefined) ?? '';
  const lead = userInfo.slice(found.length).includes(':') ? found : '';
  const given = userInfo.slice(lead.length);
  const colon = given.indexOf(':');
  if (slashes === '' && lead === '') return `${scheme}***@${rest}`;
  if (colon >= 0) return `${scheme}${lead}${given.slice(0, colon)}:***@${rest}`;
  const mistyped = slashes !== undefined && slashes !== '//';
  return mistyped ? `${scheme}***@${rest}` : text;
}

/** A database's or web scheme after quotes or a variable's name (`“postgres://`, `URL=postgres://`). */
const MISTYPED_SCHEME = /^[^:@/]*?\b(?:postgres(?:ql)?|rediss?|mysql|mongodb(?:\+srv)?|https?):{1,2}\/\//i;
/** Colons doubled after a scheme (`postgres:://`). */
const EXTRA_COLONS = /^:+\/\//;

/**
 * `text` as NFKC reads it when that turns a full-width or small `@`, `:` or `/` (`＠`, `﹫`, `：`,
 * `／`, as an input method types them) into the ASCII one a URL is read by; else `text` itself.
 */
export function withAsciiMarks(text: string): string {
  const read = text.normalize('NFKC');
  return marksOf(read) === marksOf(text) ? text : read;
}

const marksOf = (text: string): string => text.replace(/[^@:/]/g, '');
