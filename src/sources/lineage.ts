/**
 * Batch-level ancestry for Tetragon without --enable-process-ancestors (its default): an event names
 * only its parent, and the rest of the chain arrives as the parents' own `process_exec` events in the
 * same batch. This step finds them through `exec_id` / `parent_exec_id`, so a `/tmp` grandparent
 * contributes its reason. The parsers stay pure; this runs once per batch, lazily, with bounded work.
 */
import {
  ANCESTORS_READ,
  type AncestorInfo,
  type ExecEvent,
  type Finding,
  type LogContext,
  type LogEvent,
} from "../model.js";
import { type ParseOutcome, parseMessage } from "./index.js";

/** Index entries kept per batch; past this, later ids are not indexed (the chain just ends sooner). */
const MAX_INDEXED_IDS = 50_000;
/** Candidate messages parsed per batch for correlation, in total. */
const MAX_PARSES = 2_000;
/** Candidate messages tried per exec id (a forged batch may repeat an id in many messages). */
const MAX_CANDIDATES = 4;

/** Longest exec id indexed (Tetragon's are base64 of node, time and pid: well under this). */
const MAX_ID_LENGTH = 256;
/** What an exec id is made of: base64 and base64url. */
const ID_CHARS = /^[A-Za-z0-9+/=_-]{1,256}$/;

/**
 * Each `exec_id":"<id>"` of a message, as it appears raw or inside an escaped `log` string (the regular
 * expression `exec_id\\?"\s*:\s*\\?"([A-Za-z0-9+/=_-]{1,256})`, matched left to right), read by hand: a
 * batch holds tens of thousands of ids, and the expression's match arrays and id strings made the
 * index a third of a large batch's memory. Calls `found(hash)` with {@link idHash} of each id.
 */
export function scanExecIds(message: string, found: (hash: number) => boolean): void {
  let at = message.indexOf("exec_id");
  while (at >= 0) {
    let q = at + 7;
    if (message.charCodeAt(q) === 92) q++; // \
    let end = at + 7;
    if (message.charCodeAt(q) === 34) {
      q = skipSpace(message, q + 1);
      if (message.charCodeAt(q) === 58) {
        q = skipSpace(message, q + 1);
        if (message.charCodeAt(q) === 92) q++;
        if (message.charCodeAt(q) === 34) {
          const start = q + 1;
          let stop = start;
          while (stop < message.length && stop - start < MAX_ID_LENGTH && isIdChar(message.charCodeAt(stop)))
            stop++;
          if (stop > start) {
            if (!found(idHash(message, start, stop))) return;
            end = stop;
          }
        }
      }
    }
    at = message.indexOf("exec_id", end);
  }
}

function isIdChar(c: number): boolean {
  return (
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    (c >= 48 && c <= 57) ||
    c === 43 ||
    c === 47 ||
    c === 61 ||
    c === 95 ||
    c === 45
  );
}

/** `\s` of a regular expression: ASCII and Unicode white space. */
function isSpace(c: number): boolean {
  return (
    (c >= 9 && c <= 13) ||
    c === 32 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

function skipSpace(text: string, from: number): number {
  let q = from;
  while (q < text.length && isSpace(text.charCodeAt(q))) q++;
  return q;
}

/**
 * FNV-1a of `text[start, end)`, cut to a small integer. Ids with the same hash share one candidate
 * list; every candidate is verified against the id itself, so a collision costs a parse, never a wrong
 * ancestor.
 */
export function idHash(text: string, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 2;
}

export interface BatchLineage {
  /** Extends `event.ancestors` with the ancestors other events of the batch name. Never throws. */
  complete(event: ExecEvent): void;
  /**
   * What the caller parsed log event `index` into, before changing any of it, so that correlation
   * does not parse the message again (every utility's own message names its exec ids).
   */
  remember(index: number, outcome: ParseOutcome): void;
}

/** A lineage index over one batch's log events; built on first use, so batches without Tetragon pay nothing. */
export function batchLineage(
  logEvents: readonly LogEvent[],
  contextOf: (event: LogEvent) => LogContext,
): BatchLineage {
  let index: Map<number, number | number[]> | undefined;
  const parsed = new Map<number, ExecEvent[]>();
  let parses = 0;

  function build(): Map<number, number | number[]> {
    // Candidates per id hash: one message index, or a list of them once a second message names it.
    const map = new Map<number, number | number[]>();
    let size = 0;
    for (let i = 0; i < logEvents.length && size < MAX_INDEXED_IDS; i++) {
      const message = (logEvents[i] as LogEvent).message;
      if (typeof message !== "string" || !message.includes("process_exec")) continue;
      scanExecIds(message, (hash) => {
        const list = map.get(hash);
        if (list === undefined) map.set(hash, i);
        else if (typeof list === "number") {
          if (list !== i) map.set(hash, [list, i]);
        } else if (list.length < MAX_CANDIDATES && list[list.length - 1] !== i) list.push(i);
        return ++size < MAX_INDEXED_IDS;
      });
    }
    return map;
  }

  /** The Tetragon exec event whose own process has this exec id. */
  function lookup(id: string): ExecEvent | undefined {
    if (!ID_CHARS.test(id)) return undefined;
    index ??= build();
    const candidates = index.get(idHash(id, 0, id.length));
    for (const i of typeof candidates === "number" ? [candidates] : (candidates ?? [])) {
      let events = parsed.get(i);
      if (events === undefined) {
        if (parses >= MAX_PARSES) return undefined;
        parses++;
        const logEvent = logEvents[i] as LogEvent;
        events = tetragonEvents(parseMessage(logEvent.message, contextOf(logEvent)));
        parsed.set(i, events);
      }
      const found = events.find((event) => event.lineage?.execId === id);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  return {
    remember(index, outcome) {
      // Shallow copies: the caller replaces `ancestors` when it completes an event, and correlation
      // must read each event as parsed.
      if (!parsed.has(index))
        parsed.set(
          index,
          tetragonEvents(outcome).map((event) => ({ ...event })),
        );
    },
    complete(event) {
      try {
        extend(event, lookup);
      } catch {
        // Correlation only adds evidence; the event as parsed is still judged.
      }
    },
  };
}

function tetragonEvents(outcome: ParseOutcome): ExecEvent[] {
  return outcome.kind === "events" && outcome.format === "tetragon" ? outcome.events : [];
}

function asAncestor(event: ExecEvent): AncestorInfo {
  const { name, path, args } = event.process;
  return { name, ...(path !== undefined ? { path } : {}), ...(args !== undefined ? { args } : {}) };
}

function extend(event: ExecEvent, lookup: (id: string) => ExecEvent | undefined): void {
  const lineage = event.lineage;
  if (lineage === undefined || lineage.complete === true || event.ancestors.length !== 1) return;
  const chain = [...event.ancestors];
  const seen = new Set<string>([lineage.execId ?? "", lineage.parentExecId ?? ""]);
  // `known` is the exec id of the last ancestor in the chain, `need` that of its parent.
  let known = lineage.parentExecId;
  let need = lineage.grandparentExecId;
  while (chain.length < ANCESTORS_READ && (need !== undefined || known !== undefined)) {
    if (need !== undefined && seen.has(need)) break;
    // The missing ancestor's own exec event names it and its parent; else the known one's names its parent.
    const own = need !== undefined ? lookup(need) : undefined;
    const child = own === undefined && known !== undefined ? lookup(known) : undefined;
    const found = own ?? child;
    if (found === undefined) break;
    let added: AncestorInfo[];
    if (own !== undefined) added = [asAncestor(own), ...own.ancestors];
    else added = found.lineage?.complete === true ? found.ancestors : found.ancestors.slice(0, 1);
    if (added.length === 0) break;
    if (need !== undefined) seen.add(need);
    chain.push(...added.slice(0, ANCESTORS_READ - chain.length));
    if (found.lineage?.complete === true) break;
    // Either way the last ancestor added is the found event's parent: its id and its parent's come next.
    known = found.lineage?.parentExecId;
    need = found.lineage?.grandparentExecId;
  }
  event.ancestors = chain;
}

/** The finding with the facts its event's format states (setuid, fileless, outside the init tree) as its last reasons. */
export function withNotes(finding: Finding): Finding {
  const notes = finding.event.notes;
  if (notes === undefined || notes.length === 0) return finding;
  const reasons = [...finding.reasons];
  for (const note of notes) if (!reasons.includes(note)) reasons.push(note);
  return { ...finding, reasons };
}
