/**
 * The batch lineage as it was before the index read only `exec_id` keys (main at 246637f, with the
 * expression its hand-written scanner was proven equal to, and ids as strings rather than hashes):
 * the oracle the property tests compare the index with. Not used by src/.
 */
import {
  ANCESTORS_READ,
  type AncestorInfo,
  type ExecEvent,
  type LogContext,
  type LogEvent,
} from "../../src/model.js";
import { type ParseOutcome, parseMessage } from "../../src/sources/index.js";

const MAX_INDEXED_IDS = 50_000;
const MAX_PARSES = 2_000;
const MAX_CANDIDATES = 4;
const EXEC_ID = /exec_id\\?"\s*:\s*\\?"([A-Za-z0-9+/=_-]{1,256})/g;
const ID_CHARS = /^[A-Za-z0-9+/=_-]{1,256}$/;

export function referenceLineage(logEvents: readonly LogEvent[], contextOf: (event: LogEvent) => LogContext) {
  let index: Map<string, number[]> | undefined;
  const parsed = new Map<number, ExecEvent[]>();
  let parses = 0;

  function build(): Map<string, number[]> {
    const map = new Map<string, number[]>();
    let size = 0;
    for (let i = 0; i < logEvents.length && size < MAX_INDEXED_IDS; i++) {
      const message = (logEvents[i] as LogEvent).message;
      if (typeof message !== "string" || !message.includes("process_exec")) continue;
      for (const match of message.matchAll(EXEC_ID)) {
        const id = match[1] as string;
        const list = map.get(id);
        if (list === undefined) map.set(id, [i]);
        else if (list.length < MAX_CANDIDATES && list[list.length - 1] !== i) list.push(i);
        if (++size >= MAX_INDEXED_IDS) break;
      }
    }
    return map;
  }

  function lookup(id: string): ExecEvent | undefined {
    if (!ID_CHARS.test(id)) return undefined;
    index ??= build();
    for (const i of index.get(id) ?? []) {
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
    remember(i: number, outcome: ParseOutcome): void {
      if (!parsed.has(i))
        parsed.set(
          i,
          tetragonEvents(outcome).map((event) => ({ ...event })),
        );
    },
    complete(event: ExecEvent): void {
      try {
        extend(event, lookup);
      } catch {
        // as the index does
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
  let known = lineage.parentExecId;
  let need = lineage.grandparentExecId;
  while (chain.length < ANCESTORS_READ && (need !== undefined || known !== undefined)) {
    if (need !== undefined && seen.has(need)) break;
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
    known = found.lineage?.parentExecId;
    need = found.lineage?.grandparentExecId;
  }
  event.ancestors = chain;
}
