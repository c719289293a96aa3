import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
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

  const pack = async (out: string, extra: string[] = []) =>
    await run("node", ["scripts/package.mjs", "--dist", dist, "--out", out, ...extra]);

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

  test("writes the versioned release artifact: the same zip, a sha256sum checksum and a manifest, reproducibly", async () => {
    await requireTool("sha256sum", ["--version"], "coreutils");
    await writeDist({
      "package.json": '{"type":"module"}\n',
      "handler.js": "export const handler = 1;\n",
      "handler.js.map": "{}\n",
    });
    const version = (JSON.parse(await readFile("package.json", "utf8")) as { version: string }).version;
    const [first, second] = [join(dir, "one"), join(dir, "two")];
    await mkdir(first);
    await mkdir(second);

    expect((await pack(join(first, "lambda.zip"))).code).toBe(0);
    await utimes(join(dist, "handler.js"), new Date("2031-05-05"), new Date("2031-05-05"));
    expect((await pack(join(second, "lambda.zip"))).code).toBe(0);

    const name = `netutil-detector-${version}`;
    expect((await readdir(first)).sort()).toEqual(
      ["lambda.zip", `${name}.manifest.json`, `${name}.zip`, `${name}.zip.sha256`].sort(),
    );
    for (const file of await readdir(first)) {
      expect(await readFile(join(second, file)), file).toEqual(await readFile(join(first, file)));
    }
    const zip = await readFile(join(first, `${name}.zip`));
    expect(zip).toEqual(await readFile(join(first, "lambda.zip")));
    const sha256 = createHash("sha256").update(zip).digest("hex");
    expect(await readFile(join(first, `${name}.zip.sha256`), "utf8")).toBe(`${sha256}  ${name}.zip\n`);
    const check = await run("sha256sum", ["-c", `${name}.zip.sha256`], { cwd: first });
    expect(check.stdout.trim()).toBe(`${name}.zip: OK`);
    const manifest = JSON.parse(await readFile(join(first, `${name}.manifest.json`), "utf8"));
    expect(manifest).toEqual({
      name: "netutil-detector",
      version,
      file: `${name}.zip`,
      sha256,
      sha256Base64: createHash("sha256").update(zip).digest("base64"),
      size: zip.length,
      handler: "handler.handler",
      files: [
        {
          name: "handler.js",
          size: 26,
          sha256: createHash("sha256").update("export const handler = 1;\n").digest("hex"),
        },
        { name: "handler.js.map", size: 3, sha256: createHash("sha256").update("{}\n").digest("hex") },
        {
          name: "package.json",
          size: 18,
          sha256: createHash("sha256").update('{"type":"module"}\n').digest("hex"),
        },
      ],
    });
  });

  test("refuses a version that cannot name the artifact", async () => {
    await writeDist({ "package.json": '{"type":"module"}\n', "handler.js": "export const handler = 1;\n" });

    const result = await pack(join(dir, "lambda.zip"), ["--version", "1.0/../../x"]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('version "1.0/../../x" is not x.y.z[-pre]');
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
