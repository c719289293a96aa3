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

/**
 * Each `"exec_id":"<id>"` key of a message, as it appears raw or inside an escaped `log` string (the
 * regular expression `"exec_id\\?"\s*:\s*\\?"([A-Za-z0-9+/=_-]{1,256})`, matched left to right), read
 * by hand: a batch holds tens of thousands of ids, and the expression's match arrays and id strings
 * made the index a third of a large batch's memory. Calls `sink.found(hash)` with {@link idHash} of each
 * id, and stops when it returns false. A method of one class rather than a callback: a closure made
 * per batch is a new call target each time, and V8 threw away and recompiled this loop and the index
 * build around it in a process's first batches (for this loop alone, 75-86 ms of compile jobs over
 * the ten batches of the bench's (a), as `node --trace-opt` times them).
 *
 * Only a key named exactly `exec_id` (a quote right before it) is read. A lookup accepts only the
 * event whose own `process.exec_id` is the id, and a message names that id under that very key,
 * raw (`"exec_id"`) or inside a shipper's escaped `log` string (`\"exec_id\"`), so the key alone
 * finds every message the lookup can accept. `parent_exec_id` names another process: indexing it
 * only made candidates that never matched (in a forged batch, ones that used up an id's
 * {@link MAX_CANDIDATES}). The search runs to `_id`, whose `_` is rare in JSON, and checks the
 * `"exec` before it.
 */
export interface IdSink {
  found(hash: number): boolean;
}

export function scanExecIds(message: string, sink: IdSink): void {
  let at = message.indexOf("_id");
  while (at >= 0) {
    let end = at + 3;
    if (
      message.charCodeAt(at - 1) === 99 && // c
      message.charCodeAt(at - 2) === 101 && // e
      message.charCodeAt(at - 3) === 120 && // x
      message.charCodeAt(at - 4) === 101 && // e
      message.charCodeAt(at - 5) === 34 // "
    ) {
      let q = end;
      if (message.charCodeAt(q) === 92) q++; // \
      if (message.charCodeAt(q) === 34) {
        q = skipSpace(message, q + 1);
        if (message.charCodeAt(q) === 58) {
          q = skipSpace(message, q + 1);
          if (message.charCodeAt(q) === 92) q++;
          if (message.charCodeAt(q) === 34) {
            const start = q + 1;
            let stop = start;
            while (
              stop < message.length &&
              stop - start < MAX_ID_LENGTH &&
              isIdChar(message.charCodeAt(stop))
            )
              stop++;
            if (stop > start) {
              if (!sink.found(idHash(message, start, stop))) return;
              end = stop;
            }
          }
        }
      }
    }
    at = message.indexOf("_id", end);
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

/** {@link idHash} of an id a lookup may find (1 to {@link MAX_ID_LENGTH} id characters), else -1. */
function lookupHash(id: string): number {
  if (id.length === 0 || id.length > MAX_ID_LENGTH) return -1;
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (!isIdChar(c)) return -1;
    hash = Math.imul(hash ^ c, 0x01000193);
  }
  return hash >>> 2;
}

/** Largest table: twice {@link MAX_INDEXED_IDS} rounded up, so a full index stays under half full. */
const MAX_SLOTS = 1 << 17;

/**
 * Candidate messages per id hash, in batch order: an open-addressing table in typed arrays, since a
 * Map of tens of thousands of entries and their lists was most of the index's time. Slot `s` holds
 * `hash + 1` (0: empty), its candidate count, and up to {@link MAX_CANDIDATES} message indexes.
 */
class CandidateTable {
  private keys: Int32Array;
  private counts: Uint8Array;
  private messages: Int32Array;
  private used = 0;

  constructor(expected: number) {
    let slots = 16;
    while (slots < 2 * expected && slots < MAX_SLOTS) slots *= 2;
    this.keys = new Int32Array(slots);
    this.counts = new Uint8Array(slots);
    this.messages = new Int32Array(slots * MAX_CANDIDATES);
  }

  /** Adds message `index` to the candidates of `hash` unless it is the last one there or the list is full. */
  add(hash: number, index: number): void {
    if (2 * this.used >= this.keys.length && this.keys.length < MAX_SLOTS) this.grow();
    const slot = this.slotOf(hash);
    const count = this.counts[slot] as number;
    if (count === 0) {
      // A table at MAX_SLOTS holds up to MAX_INDEXED_IDS entries: always under half full.
      this.keys[slot] = hash + 1;
      this.used++;
    } else if (count >= MAX_CANDIDATES || this.messages[slot * MAX_CANDIDATES + count - 1] === index) return;
    this.messages[slot * MAX_CANDIDATES + count] = index;
    this.counts[slot] = count + 1;
  }

  /** How many candidates the entry at `slot` ({@link slotOf}) holds. */
  count(slot: number): number {
    return this.counts[slot] as number;
  }

  /** Candidate `k` (batch order) of the entry at `slot`. */
  message(slot: number, k: number): number {
    return this.messages[slot * MAX_CANDIDATES + k] as number;
  }

  /** The slot holding `hash`, or the empty slot where it goes (linear probing). */
  slotOf(hash: number): number {
    const mask = this.keys.length - 1;
    const key = hash + 1;
    let slot = (Math.imul(hash, 0x9e3779b1) >>> 15) & mask;
    for (;;) {
      const at = this.keys[slot] as number;
      if (at === key || at === 0) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const { keys, counts, messages } = this;
    this.keys = new Int32Array(keys.length * 2);
    this.counts = new Uint8Array(keys.length * 2);
    this.messages = new Int32Array(keys.length * 2 * MAX_CANDIDATES);
    for (let old = 0; old < keys.length; old++) {
      const key = keys[old] as number;
      if (key === 0) continue;
      const slot = this.slotOf(key - 1);
      this.keys[slot] = key;
      this.counts[slot] = counts[old] as number;
      this.messages.set(
        messages.subarray(old * MAX_CANDIDATES, (old + 1) * MAX_CANDIDATES),
        slot * MAX_CANDIDATES,
      );
    }
  }
}

/** The candidate table of a batch's log events: each id {@link scanExecIds} finds, up to {@link MAX_INDEXED_IDS} in all. */
class TableFiller implements IdSink {
  private readonly table: CandidateTable;
  /** The log event being scanned. */
  private message = 0;
  private size = 0;

  constructor(private readonly logEvents: readonly LogEvent[]) {
    this.table = new CandidateTable(logEvents.length);
  }

  fill(): CandidateTable {
    const { logEvents } = this;
    for (; this.message < logEvents.length && this.size < MAX_INDEXED_IDS; this.message++) {
      const message = (logEvents[this.message] as LogEvent).message;
      if (typeof message === "string" && message.includes("process_exec")) scanExecIds(message, this);
    }
    return this.table;
  }

  found(hash: number): boolean {
    this.table.add(hash, this.message);
    return ++this.size < MAX_INDEXED_IDS;
  }
}

export interface BatchLineage {
  /** Extends `event.ancestors` with the ancestors other events of the batch name. Never throws. */
  complete(event: ExecEvent): void;
  /**
   * What the caller parsed log event `index` into, before completing any of its events, so that
   * correlation does not parse the message again (every utility's own message names its exec ids).
   */
  remember(index: number, outcome: ParseOutcome): void;
}

/** A lineage index over one batch's log events; built on first use, so batches without Tetragon pay nothing. */
export function batchLineage(
  logEvents: readonly LogEvent[],
  contextOf: (event: LogEvent) => LogContext,
): BatchLineage {
  return new LineageIndex(logEvents, contextOf);
}

/**
 * {@link batchLineage}'s index. A class, not closures made per batch: {@link extend} calls its
 * `lookup` and `ancestorsOf`, and a new closure each batch was a new call target that made V8 throw
 * away its compiled code for each of a process's first batches.
 */
class LineageIndex implements BatchLineage {
  private index: CandidateTable | undefined;
  // The Tetragon events of each message parsed so far (by the caller or by a lookup).
  private readonly parsed = new Map<number, ExecEvent[]>();
  // Correlation reads every event as parsed: the ancestors an event had before `complete` replaced them.
  private readonly asParsed = new Map<ExecEvent, AncestorInfo[]>();
  private parses = 0;

  constructor(
    private readonly logEvents: readonly LogEvent[],
    private readonly contextOf: (event: LogEvent) => LogContext,
  ) {}

  remember(index: number, outcome: ParseOutcome): void {
    if (!this.parsed.has(index)) this.parsed.set(index, tetragonEvents(outcome));
  }

  complete(event: ExecEvent): void {
    try {
      const before = event.ancestors;
      if (extend(event, this) && !this.asParsed.has(event)) this.asParsed.set(event, before);
    } catch {
      // Correlation only adds evidence; the event as parsed is still judged.
    }
  }

  /** The Tetragon exec event whose own process has this exec id. */
  lookup(id: string): ExecEvent | undefined {
    const hash = lookupHash(id);
    if (hash < 0) return undefined;
    this.index ??= new TableFiller(this.logEvents).fill();
    const index = this.index;
    const slot = index.slotOf(hash);
    for (let k = 0; k < index.count(slot); k++) {
      const found = this.candidate(index.message(slot, k), id);
      // `null`: the parse budget is spent, and the remaining candidates are not tried.
      if (found !== undefined) return found ?? undefined;
    }
    return undefined;
  }

  /** A found event's ancestors as parsed, before `complete` extended them. */
  ancestorsOf(found: ExecEvent): AncestorInfo[] {
    return this.asParsed.get(found) ?? found.ancestors;
  }

  private candidate(i: number, id: string): ExecEvent | undefined | null {
    let events = this.parsed.get(i);
    if (events === undefined) {
      if (this.parses >= MAX_PARSES) return null;
      this.parses++;
      const logEvent = this.logEvents[i] as LogEvent;
      events = tetragonEvents(parseMessage(logEvent.message, this.contextOf(logEvent)));
      this.parsed.set(i, events);
    }
    for (const event of events) if (event.lineage?.execId === id) return event;
    return undefined;
  }
}

function tetragonEvents(outcome: ParseOutcome): ExecEvent[] {
  return outcome.kind === "events" && outcome.format === "tetragon" ? outcome.events : [];
}

function asAncestor(event: ExecEvent): AncestorInfo {
  const { name, path, args } = event.process;
  return { name, ...(path !== undefined ? { path } : {}), ...(args !== undefined ? { args } : {}) };
}

/**
 * Extends the event's ancestors from the events `batch.lookup` finds, reading each found event's
 * ancestors as parsed (`batch.ancestorsOf`); true when it replaced `event.ancestors`.
 */
function extend(event: ExecEvent, batch: LineageIndex): boolean {
  const lineage = event.lineage;
  if (lineage === undefined || lineage.complete === true || event.ancestors.length !== 1) return false;
  // Built on the first ancestor found: most chains end at a parent the batch does not hold.
  let chain: AncestorInfo[] | undefined;
  const self = lineage.execId ?? "";
  const parent = lineage.parentExecId ?? "";
  let seen: string[] | undefined;
  // `known` is the exec id of the last ancestor in the chain, `need` that of its parent.
  let known = lineage.parentExecId;
  let need = lineage.grandparentExecId;
  while ((chain?.length ?? 1) < ANCESTORS_READ && (need !== undefined || known !== undefined)) {
    if (need !== undefined && (need === self || need === parent || seen?.includes(need) === true)) break;
    // The missing ancestor's own exec event names it and its parent; else the known one's names its parent.
    const own = need !== undefined ? batch.lookup(need) : undefined;
    const child = own === undefined && known !== undefined ? batch.lookup(known) : undefined;
    const found = own ?? child;
    if (found === undefined) break;
    const ancestors = batch.ancestorsOf(found);
    let added: AncestorInfo[];
    if (own !== undefined) added = [asAncestor(own), ...ancestors];
    else added = found.lineage?.complete === true ? ancestors : ancestors.slice(0, 1);
    if (added.length === 0) break;
    if (need !== undefined) {
      seen ??= [];
      seen.push(need);
    }
    chain ??= [...event.ancestors];
    chain.push(...added.slice(0, ANCESTORS_READ - chain.length));
    if (found.lineage?.complete === true) break;
    // Either way the last ancestor added is the found event's parent: its id and its parent's come next.
    known = found.lineage?.parentExecId;
    need = found.lineage?.grandparentExecId;
  }
  if (chain === undefined) return false;
  event.ancestors = chain;
  return true;
}

/** The finding with the facts its event's format states (setuid, fileless, outside the init tree) as its last reasons. */
export function withNotes(finding: Finding): Finding {
  const notes = finding.event.notes;
  if (notes === undefined || notes.length === 0) return finding;
  const reasons = [...finding.reasons];
  for (const note of notes) if (!reasons.includes(note)) reasons.push(note);
  return { ...finding, reasons };
}
