import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (test/infra/ is two levels down). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell; never throws on a non-zero exit (the caller asserts). */
export async function run(
  program: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<RunResult> {
  return await new Promise((resolvePromise, reject) => {
    execFile(
      program,
      args,
      {
        cwd: options.cwd ?? REPO,
        env: { ...process.env, ...options.env },
        timeout: options.timeoutMs ?? 240_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          reject(new Error(`${program} ${args.join(" ")} did not run: ${error.message}\n${stderr}`));
          return;
        }
        resolvePromise({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * Fails with an actionable message when a tool the infra checks need is not installed:
 * these tests never skip silently (CI installs every tool).
 */
export async function requireTool(program: string, versionArgs: string[], hint: string): Promise<string> {
  try {
    const result = await run(program, versionArgs, { timeoutMs: 60_000 });
    if (result.code !== 0) throw new Error(result.stderr || result.stdout);
    return (result.stdout || result.stderr).split("\n")[0] ?? "";
  } catch (error) {
    throw new Error(
      `${program} is required for the infrastructure checks: ${hint}\n(${(error as Error).message})`,
    );
  }
}

/** Fresh directory under the OS temp dir; nothing these tests do writes into the repository. */
export async function tempDir(prefix: string): Promise<string> {
  return await mkdtemp(join(tmpdir(), `netutil-${prefix}-`));
}

/**
 * Writes a deployment zip into `dir` with scripts/package.mjs: from the repository's dist/ when
 * `npm run build` has run, else from a placeholder handler (only the wiring is under test here).
 */
export async function buildLambdaZip(dir: string): Promise<string> {
  let distDir = join(REPO, "dist");
  if (!existsSync(join(distDir, "handler.js")) || !existsSync(join(distDir, "package.json"))) {
    distDir = join(dir, "placeholder-dist");
    await mkdir(distDir, { recursive: true });
    await writeFile(join(distDir, "handler.js"), "export const handler = async () => ({});\n");
    await writeFile(join(distDir, "package.json"), '{ "type": "module" }\n');
  }
  const outFile = join(dir, "lambda.zip");
  const result = await run("node", ["scripts/package.mjs", "--dist", distDir, "--out", outFile]);
  if (result.code !== 0) throw new Error(`packaging failed: ${result.stderr}`);
  return outFile;
}

/** Copies repository paths into `dir`, keeping their relative layout. */
export async function copyFromRepo(dir: string, paths: string[]): Promise<void> {
  for (const path of paths) {
    await cp(join(REPO, path), join(dir, path), { recursive: true });
  }
}

/** Parses YAML/JSON CloudFormation-style files (short-form tags included) with cfn-lint's decoder. */
export async function decodeTemplates(files: string[]): Promise<Record<string, unknown>> {
  const script = [
    "import json, sys",
    "from cfnlint.decode import decode",
    "out = {}",
    "for f in sys.argv[1:]:",
    "    t, m = decode(f)",
    "    if m:",
    "        sys.exit('cannot parse %s: %s' % (f, m))",
    "    out[f] = t",
    "print(json.dumps(out))",
  ].join("\n");
  const result = await run("python3", ["-c", script, ...files]);
  if (result.code !== 0) {
    throw new Error(`decoding ${files.join(", ")} needs python3 with cfn-lint installed: ${result.stderr}`);
  }
  return JSON.parse(result.stdout) as Record<string, unknown>;
}
