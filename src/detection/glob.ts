/**
 * Glob matching for allowlist values: `*` matches any run of characters (also none), `?` exactly one
 * UTF-16 code unit, everything else itself, case-sensitive. No regular expressions are built from user
 * input. The classic two-pointer algorithm backtracks only to the last `*`, so a match costs at most
 * pattern × subject steps; with the caps below that is under 4.2 million steps, a few milliseconds.
 */

/** Longest allowlist pattern accepted at parse time. */
export const MAX_PATTERN_LENGTH = 512;
/** Longest subject matched; a longer subject never matches (fail closed: the finding is not suppressed). */
export const MAX_SUBJECT_LENGTH = 8192;

/** True when `value` contains a wildcard (`*` or `?`). */
export function hasWildcard(value: string): boolean {
  return value.includes("*") || value.includes("?");
}

/** True when `subject` matches `pattern` as a whole. False for over-long subjects or patterns. */
export function globMatch(pattern: string, subject: string): boolean {
  if (pattern.length > MAX_PATTERN_LENGTH || subject.length > MAX_SUBJECT_LENGTH) return false;
  let p = 0;
  let s = 0;
  let star = -1;
  let resume = 0;
  while (s < subject.length) {
    const c = pattern.charCodeAt(p);
    if (p < pattern.length && c !== 42 && (c === 63 || c === subject.charCodeAt(s))) {
      p++;
      s++;
    } else if (p < pattern.length && c === 42) {
      // Remember the star; first try letting it match nothing.
      star = p++;
      resume = s;
    } else if (star !== -1) {
      // Mismatch after a star: let that star swallow one more character and retry from there.
      p = star + 1;
      s = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern.charCodeAt(p) === 42) p++;
  return p === pattern.length;
}
