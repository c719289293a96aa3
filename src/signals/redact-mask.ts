/**
 * How a secret value is replaced: the marker and the two ways of masking a value in place. Shared by
 * the text masks (redact.ts) and the per-program option table (redact-tools.ts).
 */

/** What replaces a secret. Chosen so that no masking pattern matches it again (idempotent). */
export const REDACTED = "[REDACTED]";

/** Masks a value, keeping the quotes around it so the surrounding text still reads right. */
export function maskValue(value: string): string {
  const quote = value[0];
  if (quote === '"' || quote === "'") {
    const closed = value.length > 1 && value.endsWith(quote);
    return `${quote}${REDACTED}${closed ? quote : ""}`;
  }
  return REDACTED;
}

/** Masks everything after the first `separator`, keeping a closing quote. */
export function maskAfter(value: string, separator: string): string {
  const at = value.indexOf(separator);
  if (at < 0) return value;
  const quote = value[0];
  const closed = (quote === '"' || quote === "'") && value.length > 1 && value.endsWith(quote);
  return `${value.slice(0, at + 1)}${REDACTED}${closed ? quote : ""}`;
}
