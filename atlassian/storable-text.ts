// NUL and UTF-16 surrogates without their other half: PostgreSQL's text and jsonb refuse both, and a URL cannot carry
// a lone surrogate (URLSearchParams turns it into U+FFFD). Any text the API sends that is kept as text goes through
// here: event fields that are made storable, and the cursor, which is stored and compared with the next request's.

// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE_CHARACTERS = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The text with each NUL and lone surrogate replaced by U+FFFD, the replacement character. */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE_CHARACTERS, '\uFFFD');
}
