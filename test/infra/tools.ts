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

/** The offline provider mirror preinstalled on CI machines (absent: terraform uses the registry). */
export const PROVIDER_MIRROR = "/opt/tf-plugins";

/**
 * Prepares a copied Terraform root module to run against moto_server: a CLI config that takes the
 * provider from the offline mirror when there is one, and an override file pointing every AWS
 * provider (the default one and each alias) at moto. Returns the environment for terraform.
 */
export async function terraformAgainstMoto(
  work: string,
  moduleDir: string,
  moto: { endpoint: string; env: Record<string, string> },
  services: string[],
  aliases: string[] = [],
): Promise<Record<string, string>> {
  const cliConfig = join(work, "terraform.rc");
  await writeFile(
    cliConfig,
    [
      "provider_installation {",
      `  filesystem_mirror {\n    path    = "${PROVIDER_MIRROR}"\n    include = ["registry.terraform.io/*/*"]\n  }`,
      '  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }',
      "}",
      "",
    ].join("\n"),
  );
  const endpoints = services.map((s) => `    ${s} = "${moto.endpoint}"`).join("\n");
  const provider = (alias?: string) =>
    [
      'provider "aws" {',
      ...(alias ? [`  alias                       = "${alias}"`] : []),
      '  access_key                  = "testing"',
      '  secret_key                  = "testing"',
      "  skip_credentials_validation = true",
      "  skip_requesting_account_id  = true",
      "  skip_metadata_api_check     = true",
      "  s3_use_path_style           = true",
      `  endpoints {\n${endpoints}\n  }`,
      "}",
      "",
    ].join("\n");
  await writeFile(
    join(moduleDir, "moto_override.tf"),
    [provider(), ...aliases.map((a) => provider(a))].join("\n"),
  );
  return {
    ...moto.env,
    ...(existsSync(PROVIDER_MIRROR) ? { TF_CLI_CONFIG_FILE: cliConfig } : {}),
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    TF_DATA_DIR: join(work, ".terraform-data"),
    CHECKPOINT_DISABLE: "1",
  };
}
