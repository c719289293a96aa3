import { describe, expect, it } from "vitest";
import { ANCESTORS_READ, type LogEvent } from "../../src/model.js";
import { parseMessage } from "../../src/sources/index.js";
import { batchLineage } from "../../src/sources/lineage.js";
import { context } from "./fixtures.js";

const ctx = context({ logGroup: "/k8s/tetragon", logStream: "export" });
const pod = { namespace: "shop", name: "cart-1", container: { id: "containerd://c1", name: "cart" } };

/** A process_exec without `ancestors`: process `id` (binary) whose parent is `parent`, grandparent `grand`. */
function exec(id: string, binary: string, parent: string, parentBinary: string, grand: string): string {
  return JSON.stringify({
    process_exec: {
      process: { exec_id: id, binary, arguments: "", parent_exec_id: parent, pod },
      parent: { exec_id: parent, binary: parentBinary, parent_exec_id: grand, pod },
    },
  });
}

function events(messages: string[]): LogEvent[] {
  return messages.map((message, i) => ({ id: String(i), timestamp: 0, message }));
}

function first(message: string) {
  const outcome = parseMessage(message, ctx);
  if (outcome.kind !== "events" || outcome.events[0] === undefined) throw new Error("no event");
  return outcome.events[0];
}

describe("batchLineage", () => {
  it("ends on an exec-id cycle a forged batch builds", () => {
    // Prepare: A's parent is B, B's parent is A.
    const batch = events([
      exec("A", "/usr/bin/curl", "B", "/bin/b", "A"),
      exec("B", "/bin/b", "A", "/usr/bin/curl", "B"),
    ]);
    const event = first(batch[0]!.message);

    // Act
    batchLineage(batch, () => ctx).complete(event);

    // Assess
    expect(event.ancestors.length).toBeLessThanOrEqual(3);
  });

  it(`keeps at most ${ANCESTORS_READ} ancestors of a very long chain`, () => {
    // Prepare: p0 <- p1 <- … <- p199, each event naming its parent and grandparent.
    const ids = Array.from({ length: 200 }, (_, i) => `p${i}`);
    const batch = events(
      ids.map((id, i) => exec(id, `/bin/x${i}`, `p${i + 1}`, `/bin/x${i + 1}`, `p${i + 2}`)),
    );
    const event = first(batch[0]!.message);

    // Act
    batchLineage(batch, () => ctx).complete(event);

    // Assess
    expect(event.ancestors).toHaveLength(ANCESTORS_READ);
    expect(event.ancestors.slice(0, 3).map((a) => a.path)).toEqual(["/bin/x1", "/bin/x2", "/bin/x3"]);
  });

  it("finds the ids inside a shipper's escaped log string", () => {
    const wrapped = (m: string) => JSON.stringify({ log: `${m}\n`, stream: "stdout" });
    const batch = events(
      [exec("A", "/usr/bin/curl", "B", "/bin/sh", "C"), exec("C", "/tmp/loader", "D", "/bin/bash", "E")].map(
        wrapped,
      ),
    );
    const event = first(batch[0]!.message);

    batchLineage(batch, () => ctx).complete(event);

    expect(event.ancestors.map((a) => a.path)).toEqual(["/bin/sh", "/tmp/loader", "/bin/bash"]);
  });

  it("reads an ancestor's own event as parsed, even after that event was completed", () => {
    // Prepare: A's grandparent G is a utility of the batch too, completed first (as the pipeline
    // does when G's message comes before A's).
    const batch = events([
      exec("G", "/tmp/loader", "H", "/bin/bash", "I"),
      exec("A", "/usr/bin/curl", "B", "/bin/sh", "G"),
      exec("I", "/sbin/init", "J", "/usr/bin/containerd", "K"),
    ]);
    const lineage = batchLineage(batch, () => ctx);
    const [g, a] = [0, 1].map((i) => {
      const outcome = parseMessage(batch[i]!.message, ctx);
      lineage.remember(i, outcome);
      if (outcome.kind !== "events" || outcome.events[0] === undefined) throw new Error("no event");
      return outcome.events[0];
    });

    // Act
    lineage.complete(g!);
    lineage.complete(a!);

    // Assess: G's chain was extended, yet A reads G's parent alone from it, then I's own event.
    expect(g!.ancestors.map((x) => x.path)).toEqual(["/bin/bash", "/sbin/init", "/usr/bin/containerd"]);
    expect(a!.ancestors.map((x) => x.path)).toEqual([
      "/bin/sh",
      "/tmp/loader",
      "/bin/bash",
      "/sbin/init",
      "/usr/bin/containerd",
    ]);
  });

  /**
   * The curl's ancestor paths when a forged record holding 60,000 decoys keyed `key` (more than the
   * index holds) comes first, then the utility and its parent's own event.
   */
  function chainAfterDecoys(key: "parent_exec_id" | "exec_id"): (string | undefined)[] {
    const forged = JSON.stringify({
      process_exec: {
        process: { exec_id: "F", binary: "/bin/true", pod },
        decoys: Array.from({ length: 60_000 }, (_, k) => ({ [key]: `d${k}` })),
      },
    });
    const batch = events([
      forged,
      exec("A", "/usr/bin/curl", "B", "/bin/sh", "C"),
      exec("C", "/tmp/loader", "D", "/bin/bash", "E"),
    ]);
    const event = first(batch[1]!.message);
    batchLineage(batch, () => ctx).complete(event);
    return event.ancestors.map((a) => a.path);
  }

  it("is not used up by a forged line of parent_exec_id values before the real parent", () => {
    expect(chainAfterDecoys("parent_exec_id")).toEqual(["/bin/sh", "/tmp/loader", "/bin/bash"]);
  });

  it("stops indexing at its bound when a forged line holds more exec_id keys: the chain ends, the parent stays", () => {
    // The table grows to its largest size.
    expect(chainAfterDecoys("exec_id")).toEqual(["/bin/sh"]);
  });

  it("leaves an event with Tetragon's ancestors list as it is", () => {
    const message = JSON.stringify({
      process_exec: {
        process: { exec_id: "A", binary: "/usr/bin/curl", parent_exec_id: "B", pod },
        parent: { exec_id: "B", binary: "/bin/sh", parent_exec_id: "C" },
        ancestors: [],
      },
    });
    const batch = events([message, exec("C", "/tmp/loader", "D", "/bin/bash", "E")]);
    const event = first(message);

    batchLineage(batch, () => ctx).complete(event);

    expect(event.ancestors.map((a) => a.path)).toEqual(["/bin/sh"]);
  });
});
