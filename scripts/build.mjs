// Bundles the Lambda entry and the CLI with esbuild: ESM, node20 (one bundle serves the
// nodejs24.x runtime too), minified, tree-shaken, code-split, with source maps. Writes dist/.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { build } from "esbuild";

// Some bundled CommonJS dependencies call require(); give ESM output a real one.
const banner = {
  js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);',
};

/** Shared esbuild options (also used by the benchmark's baseline bundle). */
export const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minify: true,
  treeShaking: true,
  sourcemap: true,
  legalComments: "none",
  banner,
  logLevel: "warning",
  mainFields: ["module", "main"],
};

/**
 * The allowlist bundled into the function: ALLOWLIST_FILE if set, else ./allowlist.json if present.
 * Its text is embedded as is; the function validates it at cold start (and `invoke` at once).
 */
function bundledAllowlist() {
  const file = process.env.ALLOWLIST_FILE || (existsSync("allowlist.json") ? "allowlist.json" : undefined);
  if (!file) return {};
  const text = readFileSync(file, "utf8");
  try {
    if (!Array.isArray(JSON.parse(text))) throw new Error("not a JSON array");
  } catch (error) {
    throw new Error(`build: ${file} must hold a JSON array of allowlist entries: ${error.message}`);
  }
  return { __BUNDLED_ALLOWLIST__: JSON.stringify(text), __BUNDLED_ALLOWLIST_ORIGIN__: JSON.stringify(file) };
}

export async function buildAll(outdir = "dist") {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const define = bundledAllowlist();
  // Code splitting: what a dynamic import() loads (a sink's SDK, the ledger's DynamoDB client, the
  // CLI's CloudWatch Logs commands) is a chunk of its own, read only when a configuration uses it, so
  // a cold start parses only the code it runs. The function's chunks live in chunks/ (packaged with
  // handler.js), the CLI's in cli-chunks/ (never deployed).
  const builds = await Promise.all(
    [
      ["handler", "src/handler.ts", "chunks"],
      ["cli", "src/cli.ts", "cli-chunks"],
    ].map(([name, entry, chunks]) =>
      build({
        ...common,
        entryPoints: { [name]: entry },
        outdir,
        splitting: true,
        chunkNames: `${chunks}/[name]-[hash]`,
        metafile: true,
        define,
      }),
    ),
  );
  const result = {
    ...builds[0],
    metafile: {
      inputs: Object.assign({}, ...builds.map((b) => b.metafile.inputs)),
      outputs: Object.assign({}, ...builds.map((b) => b.metafile.outputs)),
    },
  };
  // Lambda decides ESM vs CommonJS for .js files from the nearest package.json.
  await writeFile(`${outdir}/package.json`, `${JSON.stringify({ type: "module" }, null, 2)}\n`);
  await writeFile(`${outdir}/meta.json`, JSON.stringify(result.metafile));
  if (define.__BUNDLED_ALLOWLIST__) {
    // Validate the bundled entries with the function's own parser, so a bad entry fails the
    // build instead of every cold start.
    const check = spawnSync(process.execPath, [`${outdir}/cli.js`, "config"], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "" },
    });
    if (check.status !== 0) {
      throw new Error(`build: the bundled allowlist is invalid:\n${check.stderr.trim()}`);
    }
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildAll();
}
