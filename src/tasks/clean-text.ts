/**
 * The domain's text policy at the trust boundary: server text is sanitized once, where it enters the
 * store or a command's output. Names, statuses and messages are one line; log lines are one line each
 * and cut at LOG_LINE_MAX (a 10 MB line must not freeze the detail view).
 */

/** Longest log line kept, in characters; the rest is cut with a marker. */
export const LOG_LINE_MAX = 4096;

/** A name, status or message from the server, safe to print. */
export function cleanText(text: string): string {
  // TODO(integration): the shared sanitizer (src/util/sanitize.ts) replaces this placeholder.
  return text;
}

/** A log line from the server, safe to print and bounded. */
export function cleanLogLine(text: string): string {
  return cleanText(text.length > LOG_LINE_MAX ? text.slice(0, LOG_LINE_MAX) : text);
}
