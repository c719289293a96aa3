import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ExecEvent, LogEvent } from "../../src/model.js";
import { parseMessage } from "../../src/sources/index.js";
import { batchLineage } from "../../src/sources/lineage.js";
import { context } from "./fixtures.js";
import { referenceLineage } from "./lineage-reference.js";

const ctx = context({ logGroup: "/k8s/tetragon", logStream: "export" });
const pod = { namespace: "shop", name: "cart-1", container: { id: "containerd://c1", name: "cart" } };
const ANY_EXEC_ID = /exec_id\\?"\s*:\s*\\?"([A-Za-z0-9+/=_-]{1,256})/g;

interface Process {
  id: string;
  binary: string;
  /** Index of the parent process, or an id no message of the batch has. */
  parent: number | string;
}

/** Tetragon's process_exec for process `k`, the parent object as the exporter options make it. */
function record(processes: Process[], k: number, shape: { parentId: boolean; grand: boolean }): object {
  const me = processes[k] as Process;
  const parent = typeof me.parent === "number" ? processes[me.parent] : undefined;
  const parentId = parent?.id ?? (me.parent as string);
  const grand =
    parent === undefined
      ? undefined
      : typeof parent.parent === "number"
        ? processes[parent.parent]?.id
        : parent.parent;
  return {
    process_exec: {
      process: { exec_id: me.id, binary: me.binary, arguments: "-q", parent_exec_id: parentId, pod },
      parent: {
        ...(shape.parentId ? { exec_id: parentId } : {}),
        binary: parent?.binary ?? "/usr/bin/containerd-shim",
        ...(shape.grand && grand !== undefined ? { parent_exec_id: grand } : {}),
      },
    },
    node_name: "ip-10-0-1-2",
  };
}

/** The record as a log message: raw, protojson-spaced, or in a Docker / Fluent Bit `log` string. */
function written(value: object, form: number): string {
  const raw = JSON.stringify(value);
  if (form === 1) return raw.replaceAll('":', '": ');
  if (form === 2) return JSON.stringify({ log: `${raw}\n`, stream: "stdout", time: "2026-11-28T10:00:00Z" });
  if (form === 3)
    return JSON.stringify({
      log: `${raw}\n`,
      stream: "stdout",
      kubernetes: { pod_name: "tetragon-x", namespace_name: "kube-system" },
    });
  return raw;
}

const ID = fc.stringMatching(/^[A-Za-z0-9+/=]{4,12}$/);

/** A batch of related processes (cycles, missing parents, repeated and out-of-order messages, noise). */
const BATCH = fc
  .record({
    ids: fc.uniqueArray(ID, { minLength: 1, maxLength: 14 }),
    parents: fc.array(fc.nat(20), { minLength: 14, maxLength: 14 }),
    emits: fc.array(
      fc.record({ k: fc.nat(13), form: fc.nat(3), parentId: fc.boolean(), grand: fc.boolean() }),
      {
        minLength: 1,
        maxLength: 30,
      },
    ),
    noise: fc.array(fc.record({ k: fc.nat(13), at: fc.nat(30) }), { maxLength: 6 }),
    remembered: fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
  })
  .map(({ ids, parents, emits, noise, remembered }) => {
    const processes: Process[] = ids.map((id, k) => {
      const p = parents[k] as number;
      return { id, binary: `/bin/x${k}`, parent: p < ids.length ? p : `missing${p}` };
    });
    const messages = emits
      .filter(({ k }) => k < ids.length)
      .map(({ k, form, parentId, grand }) => written(record(processes, k, { parentId, grand }), form));
    // An application's line quoting an id under parent_exec_id: a forged candidate, no record.
    for (const { k, at } of noise)
      if (k < ids.length)
        messages.splice(at, 0, JSON.stringify({ msg: "process_exec seen", parent_exec_id: ids[k] }));
    return { messages, remembered };
  });

function logEvents(messages: string[]): LogEvent[] {
  return messages.map((message, i) => ({ id: String(i), timestamp: 0, message }));
}

/** Each message's events after the pipeline's steps: parse, remember (some), complete (all, in order). */
function completed(
  messages: string[],
  remembered: boolean[],
  make: typeof batchLineage,
): { path?: string }[][] {
  const batch = logEvents(messages);
  const lineage = make(batch, () => ctx);
  const events: ExecEvent[] = [];
  messages.forEach((message, i) => {
    const outcome = parseMessage(message, ctx);
    if (remembered[i] === true) lineage.remember(i, outcome);
    if (outcome.kind === "events") events.push(...outcome.events);
  });
  for (const event of events) lineage.complete(event);
  return events.map((event) => event.ancestors.map((a) => ({ path: a.path })));
}

/** Whether some id is named by more messages than an id's candidates (4): the budget the index changed. */
function overCandidates(messages: string[]): boolean {
  const named = new Map<string, Set<number>>();
  messages.forEach((message, i) => {
    if (!message.includes("process_exec")) return;
    for (const m of message.matchAll(ANY_EXEC_ID)) {
      const set = named.get(m[1] as string) ?? new Set();
      set.add(i);
      named.set(m[1] as string, set);
    }
  });
  return [...named.values()].some((set) => set.size > 4);
}

/** Whether the batch's exec ids form a cycle (a process its own ancestor): only forged batches do. */
function hasCycle(messages: string[]): boolean {
  const parentOf = new Map<string, string>();
  for (const message of messages) {
    let root: { process_exec?: { process?: Record<string, unknown>; parent?: Record<string, unknown> } };
    try {
      root = JSON.parse(message);
    } catch {
      continue;
    }
    const { process, parent } = root.process_exec ?? {};
    for (const [child, up] of [
      [process?.exec_id, process?.parent_exec_id],
      [parent?.exec_id, parent?.parent_exec_id],
      [process?.parent_exec_id, parent?.parent_exec_id],
    ])
      if (typeof child === "string" && typeof up === "string") parentOf.set(child, up);
  }
  for (const start of parentOf.keys()) {
    const seen = new Set<string>();
    for (let id: string | undefined = start; id !== undefined; id = parentOf.get(id)) {
      if (seen.has(id)) return true;
      seen.add(id);
    }
  }
  return false;
}

/** A chain with each ancestor kept at its first place only: what a cycle adds is repeats. */
function distinct(chain: { path?: string }[]): { path?: string }[] {
  const seen = new Set<string | undefined>();
  return chain.filter((a) => !seen.has(a.path) && seen.add(a.path) !== undefined);
}

describe("batchLineage against the lineage before it read only exec_id keys", () => {
  it("finds every ancestor it found, and the same chains while no id's candidates run out", () => {
    fc.assert(
      fc.property(BATCH, ({ messages, remembered }) => {
        const before = completed(messages, remembered, referenceLineage);
        const now = completed(messages, remembered, batchLineage);
        expect(now).toHaveLength(before.length);
        // Around a cycle the old lineage went round it once more; the ancestors it names are the same.
        const view = hasCycle(messages) ? distinct : (chain: { path?: string }[]) => chain;
        now.forEach((chain, i) => {
          const old = view(before[i] ?? []);
          expect(view(chain).slice(0, old.length)).toEqual(old);
        });
        if (!overCandidates(messages)) expect(now.map(view)).toEqual(before.map(view));
      }),
      { numRuns: 1000 },
    );
  });

  it("reads the forged cycle a property run found (seed 252643072): every ancestor it read before", () => {
    // Prepare: the shrunk counterexample, verbatim; x6 (A=A+) and x0 (a/0=) are each other's parents.
    const messages = [
      '{"msg":"process_exec seen","parent_exec_id":"A=0+"}',
      '{"process_exec":{"process":{"exec_id":"=+//","binary":"/bin/x3","arguments":"-q","parent_exec_id":"A0+a","pod":{"namespace":"shop","name":"cart-1","container":{"id":"containerd://c1","name":"cart"}}},"parent":{"binary":"/bin/x1","parent_exec_id":"A=0+"}},"node_name":"ip-10-0-1-2"}',
      '{"process_exec":{"process":{"exec_id":"+A=a","binary":"/bin/x5","arguments":"-q","parent_exec_id":"A=0+","pod":{"namespace":"shop","name":"cart-1","container":{"id":"containerd://c1","name":"cart"}}},"parent":{"binary":"/bin/x2"}},"node_name":"ip-10-0-1-2"}',
      '{"process_exec":{"process":{"exec_id":"=+//","binary":"/bin/x3","arguments":"-q","parent_exec_id":"A0+a","pod":{"namespace":"shop","name":"cart-1","container":{"id":"containerd://c1","name":"cart"}}},"parent":{"binary":"/bin/x1","parent_exec_id":"A=0+"}},"node_name":"ip-10-0-1-2"}',
      '{"process_exec":{"process":{"exec_id":"A=A+","binary":"/bin/x6","arguments":"-q","parent_exec_id":"a/0=","pod":{"namespace":"shop","name":"cart-1","container":{"id":"containerd://c1","name":"cart"}}},"parent":{"binary":"/bin/x0","parent_exec_id":"A=A+"}},"node_name":"ip-10-0-1-2"}',
      '{"process_exec":{"process":{"exec_id":"a/0=","binary":"/bin/x0","arguments":"-q","parent_exec_id":"A=A+","pod":{"namespace":"shop","name":"cart-1","container":{"id":"containerd://c1","name":"cart"}}},"parent":{"binary":"/bin/x6"}},"node_name":"ip-10-0-1-2"}',
      '{"process_exec":{"process":{"exec_id":"A=0+","binary":"/bin/x2","arguments":"-q","parent_exec_id":"a/0=","pod":{"namespace":"shop","name":"cart-1","container":{"id":"containerd://c1","name":"cart"}}},"parent":{"binary":"/bin/x0","parent_exec_id":"A=A+"}},"node_name":"ip-10-0-1-2"}',
      '{"process_exec":{"process":{"exec_id":"A0+a","binary":"/bin/x1","arguments":"-q","parent_exec_id":"A=0+","pod":{"namespace":"shop","name":"cart-1","container":{"id":"containerd://c1","name":"cart"}}},"parent":{"binary":"/bin/x2","parent_exec_id":"a/0="}},"node_name":"ip-10-0-1-2"}',
    ];

    // Act
    const before = completed(messages, [], referenceLineage);
    const now = completed(messages, [], batchLineage);

    // Assess: every ancestor the old lineage named, in its order (one chain now goes further); the old
    // lineage went round the cycle once more than the new one, repeating ancestors.
    expect(hasCycle(messages)).toBe(true);
    now.forEach((chain, i) => {
      const old = distinct(before[i] ?? []);
      expect(distinct(chain).slice(0, old.length)).toEqual(old);
    });
    expect(before.some((chain) => distinct(chain).length < chain.length)).toBe(true);
  });

  it("finds a parent that siblings naming it as their parent_exec_id came before", () => {
    // Prepare: five children of P (parent_exec_id only, as Tetragon's parent without exec_id) come
    // before P's own exec event, which names P's parent /tmp/loader.
    const child = (k: number) =>
      JSON.stringify({
        process_exec: {
          process: { exec_id: `C${k}`, binary: "/usr/bin/curl", parent_exec_id: "P", pod },
          parent: { binary: "/bin/sh" },
        },
      });
    const parent = JSON.stringify({
      process_exec: {
        process: { exec_id: "P", binary: "/bin/sh", parent_exec_id: "L", pod },
        parent: { binary: "/tmp/loader" },
      },
    });
    const messages = [0, 1, 2, 3, 4].map(child).concat(parent);

    // Act
    const before = completed(messages, [], referenceLineage);
    const now = completed(messages, [], batchLineage);

    // Assess: the siblings used up P's four candidates before; P's own event is found now.
    expect(before[0]?.map((a) => a.path)).toEqual(["/bin/sh"]);
    expect(now[0]?.map((a) => a.path)).toEqual(["/bin/sh", "/tmp/loader"]);
  });
});
