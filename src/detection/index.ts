export { type Allowlist, type AllowlistEntry, EMPTY_ALLOWLIST, parseAllowlist } from "./allowlist.js";
export {
  describeCategory,
  executableName,
  lookupUtility,
  MULTICALL_BINARIES,
  UTILITIES,
} from "./catalogue.js";
export {
  type CommandSegment,
  commandSegments,
  commandStart,
  type Redirect,
  type SegmentOptions,
  shellPayload,
  tokenize,
} from "./command-line.js";
export { globMatch, hasWildcard, MAX_PATTERN_LENGTH, MAX_SUBJECT_LENGTH } from "./glob.js";
export { mentionsNetworkUtility } from "./prefilter.js";
export { evaluate } from "./rule.js";
