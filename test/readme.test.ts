import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ENV, ENV_DEFAULTS, loadConfig } from "../src/config.js";
import { handleEvent } from "../src/invocation.js";
import { renderEmail, renderSubject } from "../src/signals/render.js";
import { METRIC, silentTelemetry } from "../src/telemetry.js";
import { ROOT } from "./support/cli.js";
import { sampleEvent } from "./support/events.js";

// The README is the front door: its samples and tables must be what the code does.
const readme = readFileSync(join(ROOT, "README.md"), "utf8");

async function firstSignal(file: string) {
  const config = loadConfig({ AWS_REGION: "us-east-1" }, { requireTopic: false });
  const sink = async () => ({ published: 0, deduplicated: 0, requests: 0 });
  const { signals } = await handleEvent(sampleEvent(file), { config, sink, telemetry: silentTelemetry });
  if (!signals[0]) throw new Error(`${file} produced no signal`);
  return signals[0];
}

describe("README", () => {
  it("shows the email exactly as the detector renders it", async () => {
    const signal = await firstSignal("tetragon-download-to-tmp.json");
    expect(readme).toContain(`Subject: ${renderSubject(signal)}\n\n${renderEmail(signal).trimEnd()}`);
  });

  it("shows a signal exactly as the detector emits it", async () => {
    const signal = await firstSignal("eks-audit-kubectl-exec.json");
    expect(readme).toContain(JSON.stringify(signal, null, 2));
  });

  it("documents every environment variable with its default", () => {
    for (const name of Object.values(ENV)) expect(readme).toContain(`\`${name}\``);
    for (const [name, value] of Object.entries(ENV_DEFAULTS)) {
      const row = readme.split("\n").find((line) => line.startsWith(`| \`${name}\``));
      expect(row, name).toBeDefined();
      if (name !== "MAX_DECODED_BYTES") expect(row).toContain(`\`${value}\``);
    }
  });

  it("documents every metric", () => {
    for (const name of Object.values(METRIC)) expect(readme).toContain(`\`${name}\``);
  });
});
