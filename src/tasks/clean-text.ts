/**
 * The domain's text policy at the trust boundary: server text is sanitized once, where it enters the
 * store or a command's output (src/util/sanitize.ts says what goes). Names, statuses and messages are
 * one line of bounded length; log lines are one line each, cut at the sanitizer's log-line cap (a 10 MB
 * line must not freeze the detail view).
 */
import { LOG_LINE_MAX_LENGTH, sanitizeText } from '../util/sanitize.js';

/** Longest name, status or message kept: PVE's longest error messages fit with room to spare. */
export const TEXT_MAX_LENGTH = 2048;

/** A name, status or message from the server, safe to print. */
export function cleanText(text: string): string {
  return sanitizeText(text, { maxLength: TEXT_MAX_LENGTH });
}

/** A log line from the server, safe to print and bounded. */
export function cleanLogLine(text: string): string {
  return sanitizeText(text, { maxLength: LOG_LINE_MAX_LENGTH });
}
