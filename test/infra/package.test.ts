import { mkdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { requireTool, run, tempDir } from "./tools.js";

describe("scripts/package.mjs", () => {
  let dir: string;
  let dist: string;

  async function writeDist(files: Record<string, string>) {
    await mkdir(dist, { recursive: true });
    for (const [name, content] of Object.entries(files)) await writeFile(join(dist, name), content);
  }

  const pack = async (out: string) =>
    await run("node", ["scripts/package.mjs", "--dist", dist, "--out", out]);

  beforeEach(async () => {
    dir = await tempDir("pkg");
    dist = join(dir, "dist");
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("zips handler.js, its map and the ESM package.json at the root, sorted, readable by unzip", async () => {
    await requireTool("unzip", ["-v"], "apt-get install unzip");
    await writeDist({
      "package.json": '{"type":"module"}\n',
      "handler.js": "export const handler = async () => ({});\n",
      "handler.js.map": "{}\n",
      "cli.js": "// not shipped\n",
    });
    const out = join(dir, "lambda.zip");

    const result = await pack(out);

    expect(result.code, result.stderr).toBe(0);
    const check = await run("unzip", ["-t", out]);
    expect(check.stdout).toContain("No errors detected");
    const names = await run("unzip", ["-Z1", out]);
    expect(names.stdout.trim().split("\n")).toEqual(["handler.js", "handler.js.map", "package.json"]);
  });

  test("gives the same bytes for the same files, whatever their timestamps", async () => {
    await writeDist({ "package.json": '{"type":"module"}\n', "handler.js": "export const handler = 1;\n" });
    await pack(join(dir, "a.zip"));
    await utimes(join(dist, "handler.js"), new Date("2031-05-05"), new Date("2031-05-05"));

    await pack(join(dir, "b.zip"));

    expect(await readFile(join(dir, "b.zip"))).toEqual(await readFile(join(dir, "a.zip")));
  });

  test("fails, saying to build first, when dist/handler.js is missing", async () => {
    await writeDist({ "package.json": '{"type":"module"}\n' });

    const result = await pack(join(dir, "lambda.zip"));

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("handler.js is missing: run `npm run build` first");
  });

  test("refuses a dist/package.json that would make Lambda load handler.js as CommonJS", async () => {
    await writeDist({ "package.json": "{}\n", "handler.js": "export const handler = 1;\n" });

    const result = await pack(join(dir, "lambda.zip"));

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('must say {"type":"module"}');
  });
});
