/**
 * The shell reader (src/shell) as detection calls it. `dropInert` binds the reader's `keep` to the
 * catalogue: commands that run no catalogued utility (nor a shell, interpreter, multi-call binary or
 * program given by path) are dropped as padding the moment they end.
 */
import { type CommandSegment, commandSegments as readSegments, type SegmentOptions } from "../shell/index.js";
import { UTILITIES } from "./catalogue.js";

/** The reader's options, with the catalogue standing in for the names to keep. */
export interface DetectionSegmentOptions extends Omit<SegmentOptions, "keep"> {
  /** Leave out simple commands that cannot matter to the rule (see above). The argv itself stays. */
  dropInert?: boolean;
}

/** {@link readSegments} with {@link DetectionSegmentOptions}. */
export function commandSegments(
  argv: readonly string[],
  options: DetectionSegmentOptions = {},
): CommandSegment[] {
  const { dropInert, ...rest } = options;
  return readSegments(argv, dropInert === true ? { ...rest, keep: UTILITIES } : rest);
}
