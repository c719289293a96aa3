import { type CommandSegment, commandStart } from "../../src/shell/index.js";

/** Segment argv lists, in reading order. */
export function argvs(segments: CommandSegment[]): string[][] {
  return segments.map((s) => s.argv);
}

/** The segment whose command (after wrappers and assignments) is `head`; throws when none is. */
export function find(segments: CommandSegment[], head: string): CommandSegment {
  const found = segments.find((s) => s.argv[commandStart(s.argv)] === head);
  if (found === undefined) throw new Error(`no segment runs ${head}: ${JSON.stringify(argvs(segments))}`);
  return found;
}
