/**
 * The shell reader: just enough of a POSIX shell to see what a command line runs — words, pipelines,
 * lists, groups, command and process substitutions, redirections, and the payloads of `sh -c`,
 * `su -c` and `eval`. It never executes or expands anything, never throws, and all work is bounded by
 * the limits in segment.ts. A ground floor: it knows nothing of detection; callers pass in the
 * command names they care about (see {@link SegmentOptions.keep}).
 */
export {
  commandStart,
  commandWords,
  executableName,
  isInterpreter,
  isShell,
  MULTICALL_BINARIES,
  shellPayload,
} from "./commands.js";
export { decodeStage, type Encoding } from "./flow.js";
export { resolvePath } from "./paths.js";
export {
  type BudgetLimit,
  type CommandNames,
  type CommandSegment,
  MAX_PAYLOAD_DEPTH,
  MAX_SCRIPT_CHARS,
  MAX_SEGMENTS,
  MAX_SUBSTITUTION_DEPTH,
  MAX_TOTAL_CHARS,
  MAX_WORDS,
  type Redirect,
  type SegmentBudget,
  type SegmentOptions,
  type SubstitutionKind,
  segmentBudget,
} from "./segment.js";
export { commandSegments } from "./segments.js";
export { hasGlob, splitShellWords } from "./words.js";
