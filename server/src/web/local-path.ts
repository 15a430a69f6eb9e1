/** A stand-in origin: a target is local when resolving it here keeps this origin. */
const HERE = 'https://ccus-gate.invalid';

/**
 * Where to go after a form or sign-in: a path on this server only, never another origin.
 * The value is checked after decoding (a `%2F` or `%09` is what a browser may end up
 * following), control characters and backslashes are refused, and the answer is the
 * normalised path, so what is checked is what is sent in `Location`.
 */
export function localPath(value: unknown, fallback: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return fallback;
  let decoded = value;
  for (let round = 0; round < 4; round += 1) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      return fallback; // a malformed escape is not a path anyone meant
    }
    if (next === decoded) break;
    decoded = next;
  }
  // Browsers drop tabs and newlines and read "\" as "/": "/\t/evil" becomes "//evil".
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\u0000-\u001f\u007f-\u009f\\\u2028\u2029]/.test(decoded)) return fallback;
  if (!decoded.startsWith('/') || decoded.startsWith('//')) return fallback;
  let url: URL;
  try {
    url = new URL(value, HERE);
  } catch {
    return fallback;
  }
  const path = `${url.pathname}${url.search}${url.hash}`;
  // "/..//evil" normalises to "//evil": check the answer itself, not only the question.
  if (url.origin !== HERE || path.startsWith('//')) return fallback;
  return path;
}
