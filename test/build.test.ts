import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM build script without types
import { buildAll } from "../scripts/build.mjs";
import { ROOT } from "./support/cli.js";

describe("build", () => {
  it("bundles allowlist.json into the function and the CLI", async () => {
    const dir = mkdtempSync(join(tmpdir(), "netutil-build-"));
    const allowlist = join(dir, "allowlist.json");
    writeFileSync(
      allowlist,
      JSON.stringify([
        { utility: "nc", namespace: "payments", maxSeverity: "critical", comment: "red team" },
      ]),
    );
    process.env.ALLOWLIST_FILE = allowlist;
    try {
      await buildAll(join(dir, "dist"));
    } finally {
      delete process.env.ALLOWLIST_FILE;
    }
    expect(JSON.parse(readFileSync(join(dir, "dist/package.json"), "utf8"))).toEqual({ type: "module" });

    const run = spawnSync(
      process.execPath,
      [join(dir, "dist/cli.js"), "invoke", "events/tetragon-reverse-shell.json"],
      {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, SNS_TOPIC_ARN: "" },
      },
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/3 allowlisted; 0 signal/);
  });

  it("refuses an allowlist file that is not a JSON array", async () => {
    const dir = mkdtempSync(join(tmpdir(), "netutil-build-"));
    const allowlist = join(dir, "allowlist.json");
    writeFileSync(allowlist, '{"utility":"nc"}');
    process.env.ALLOWLIST_FILE = allowlist;
    try {
      await expect(buildAll(join(dir, "dist"))).rejects.toThrow(/must hold a JSON array/);
    } finally {
      delete process.env.ALLOWLIST_FILE;
    }
  });
});

describe("build validates the bundled allowlist", () => {
  it("fails the build on an invalid entry, naming the file, entry and field", async () => {
    const dir = mkdtempSync(join(tmpdir(), "netutil-build-"));
    const allowlist = join(dir, "my-allowlist.json");
    writeFileSync(allowlist, JSON.stringify([{ utility: "curl" }, { utility: "nc", bogus: "x" }]));
    process.env.ALLOWLIST_FILE = allowlist;
    try {
      await expect(buildAll(join(dir, "dist"))).rejects.toThrow(
        /my-allowlist\.json \(bundled\).*entry 1.*bogus/s,
      );
    } finally {
      delete process.env.ALLOWLIST_FILE;
    }
  });
});
