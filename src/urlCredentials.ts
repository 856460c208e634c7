/**
 * A URL's password hidden for messages. It works on text the URL parser refuses too (a password
 * with `/`, `?` or `#` in it, a bad port): such text is what gets quoted back in an error, so
 * everything between `://` and the last `@` is taken as the credentials, and what follows their
 * first `:` becomes `***`. It checks nothing and parses nothing else.
 */

/**
 * `text` with the password of its credentials replaced by `***` (a user without a password is
 * kept as it is).
 *
 * @example
 * withoutPassword('postgres://root:p#ss/9@db:5432/x') // 'postgres://root:***@db:5432/x'
 */
export function withoutPassword(text: string): string {
  // greedy: an `@` in the password is part of it
  const credentials = /^([a-z][a-z0-9+.-]*:\/\/)(.*)@/is.exec(text);
  if (credentials === null) return text;
  const [whole, scheme, userInfo] = credentials as unknown as [string, string, string];
  const colon = userInfo.indexOf(':');
  if (colon < 0) return text;
  return `${scheme}${userInfo.slice(0, colon)}:***@${text.slice(whole.length)}`;
}
