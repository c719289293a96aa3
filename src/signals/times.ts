/**
 * `Date.parse` for the times of one batch, which come in order and many to the second: for a time of
 * the form `YYYY-MM-DDTHH:MM:SS.sssZ` the second is parsed once and the milliseconds are added, any
 * other text goes to `Date.parse`. Always exactly `Date.parse(time)`
 * (test/signals/times.test.ts holds it to that).
 */
const SECOND = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
const ZERO = 48;

export class TimeParser {
  /** `YYYY-MM-DDTHH:MM:SS` of the last time parsed by second, and that second's `Date.parse`. */
  private second = "";
  private secondMs = Number.NaN;

  parse(time: string): number {
    if (typeof time !== "string" || !hasMilliseconds(time)) return Date.parse(time);
    if (!time.startsWith(this.second) || this.second === "") {
      const second = time.slice(0, 19);
      // Hour 24 is a time only as 24:00:00.000: its milliseconds cannot be added to its second.
      if (!SECOND.test(second) || second.startsWith("24", 11)) return Date.parse(time);
      this.second = second;
      this.secondMs = Date.parse(`${second}.000Z`);
    }
    const ms =
      (time.charCodeAt(20) - ZERO) * 100 + (time.charCodeAt(21) - ZERO) * 10 + (time.charCodeAt(22) - ZERO);
    return this.secondMs + ms;
  }
}

/** Ends in `.sssZ` after 19 characters. */
function hasMilliseconds(time: string): boolean {
  if (time.length !== 24 || time.charCodeAt(19) !== 46 || time.charCodeAt(23) !== 90) return false;
  for (let i = 20; i < 23; i++) {
    const c = time.charCodeAt(i);
    if (c < ZERO || c > ZERO + 9) return false;
  }
  return true;
}
