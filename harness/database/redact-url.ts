/**
 * The URL with its password masked, for messages. Works on strings that are
 * not valid URLs too (a bad port, a stray space), since those are exactly the
 * ones an error message shows.
 */
export function redactUrl(url: string): string {
  const scheme = url.indexOf('://');
  if (scheme < 0) return url;
  // The user information ends at the last '@' before the host; the password after its first ':'.
  const query = url.indexOf('?', scheme);
  const at = url.lastIndexOf('@', query < 0 ? url.length : query);
  const colon = url.indexOf(':', scheme + 3);
  if (at < 0 || colon < 0 || colon > at) return url;
  return `${url.slice(0, colon + 1)}***${url.slice(at)}`;
}
