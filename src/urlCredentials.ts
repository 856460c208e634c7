/**
 * A URL's password hidden for messages. It works on text the URL parser refuses too (a password
 * with `/`, `?` or `#` in it, a bad port) and on mistyped URLs (`redis:/:PW@host`,
 * `postgres//u:PW@host`): such text is what gets quoted back in an error, so everything before
 * the last `@` (after `scheme://` when there is one) is taken as the credentials, and what
 * follows their first `:` becomes `***`. It checks nothing and parses nothing else.
 */

/**
 * `text` with the password of its credentials replaced by `***`. A user without a password is
 * kept as it is, except after a scheme without its `//` (`redis:PW@host`), where what stands
 * before the `@` may be the password itself.
 *
 * @example
 * withoutPassword('postgres://root:p#ss/9@db:5432/x') // 'postgres://root:***@db:5432/x'
 */
export function withoutPassword(text: string): string {
  // greedy: an `@` in the password is part of it
  const credentials = /^([a-z][a-z0-9+.-]*:(\/*))?(.*)@/is.exec(text);
  if (credentials === null) return text;
  const [whole, scheme = '', slashes, userInfo] = credentials as unknown as [string, string | undefined, string | undefined, string];
  const rest = text.slice(whole.length);
  // without a `scheme://` of its own, a mistyped one before the credentials (`“postgres://`, `postgres:://`) is kept whole
  const lead = slashes === '//' ? '' : (/^[^:@/]*:{0,2}\/\//.exec(userInfo)?.[0] ?? '');
  const given = userInfo.slice(lead.length);
  const colon = given.indexOf(':');
  if (colon >= 0) return `${scheme}${lead}${given.slice(0, colon)}:***@${rest}`;
  const mistyped = slashes !== undefined && slashes !== '//';
  return mistyped ? `${scheme}${lead}***@${rest}` : text;
}
