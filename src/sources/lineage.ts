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
import { parseMessage } from "./index.js";

/** Index entries kept per batch; past this, later ids are not indexed (the chain just ends sooner). */
const MAX_INDEXED_IDS = 50_000;
/** Candidate messages parsed per batch for correlation, in total. */
const MAX_PARSES = 2_000;
/** Candidate messages tried per exec id (a forged batch may repeat an id in many messages). */
const MAX_CANDIDATES = 4;

/** `exec_id":"…"` as it appears raw or inside an escaped `log` string; ids are base64. */
const EXEC_ID = /exec_id\\?"\s*:\s*\\?"([A-Za-z0-9+/=_-]{1,256})/g;

export interface BatchLineage {
  /** Extends `event.ancestors` with the ancestors other events of the batch name. Never throws. */
  complete(event: ExecEvent): void;
}

/** A lineage index over one batch's log events; built on first use, so batches without Tetragon pay nothing. */
export function batchLineage(
  logEvents: readonly LogEvent[],
  contextOf: (event: LogEvent) => LogContext,
): BatchLineage {
  let index: Map<string, number[]> | undefined;
  const parsed = new Map<number, ExecEvent[]>();
  let parses = 0;

  function build(): Map<string, number[]> {
    const map = new Map<string, number[]>();
    let size = 0;
    logEvents.forEach((logEvent, i) => {
      const message = logEvent.message;
      if (size >= MAX_INDEXED_IDS || typeof message !== "string" || !message.includes("process_exec")) return;
      for (const match of message.matchAll(EXEC_ID)) {
        const id = match[1] as string;
        const list = map.get(id);
        if (list === undefined) map.set(id, [i]);
        else if (list.length < MAX_CANDIDATES && list[list.length - 1] !== i) list.push(i);
        if (++size >= MAX_INDEXED_IDS) break;
      }
    });
    return map;
  }

  /** The Tetragon exec event whose own process has this exec id. */
  function lookup(id: string): ExecEvent | undefined {
    index ??= build();
    for (const i of index.get(id) ?? []) {
      let events = parsed.get(i);
      if (events === undefined) {
        if (parses >= MAX_PARSES) return undefined;
        parses++;
        const logEvent = logEvents[i] as LogEvent;
        const outcome = parseMessage(logEvent.message, contextOf(logEvent));
        events = outcome.kind === "events" && outcome.format === "tetragon" ? outcome.events : [];
        parsed.set(i, events);
      }
      const found = events.find((event) => event.lineage?.execId === id);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  return {
    complete(event) {
      try {
        extend(event, lookup);
      } catch {
        // Correlation only adds evidence; the event as parsed is still judged.
      }
    },
  };
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
