import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { ENV, ENV_DEFAULTS } from "../../src/config.js";
import { decodeTemplates, REPO } from "./tools.js";

/** Read by Powertools, not by src/config.ts; every deployment sets them to the same values. */
const POWERTOOLS = {
  POWERTOOLS_SERVICE_NAME: "netutil-detector",
  POWERTOOLS_METRICS_NAMESPACE: "NetutilDetector",
  LOG_LEVEL: "INFO",
} as const;

/** Set by the Lambda runtime itself; a deployment that set it would be rejected. */
const RUNTIME_PROVIDED = new Set<string>([ENV.region]);

/**
 * Variables a deployment may leave out on purpose, and why. Anything else the code reads must be set,
 * so a default changed in src/config.ts never silently changes a deployed function.
 */
const DELIBERATELY_DEFAULTED: Record<Deployment, Record<string, string>> = {
  terraform: { PAGER_TOPIC_ARN: "only set when the module creates a pager topic; absent means no pager" },
  serverless: {},
  sam: {},
};

type Deployment = "terraform" | "serverless" | "sam";

const REQUIRED = [
  ...new Set([...Object.values(ENV), ...Object.keys(ENV_DEFAULTS), ...Object.keys(POWERTOOLS)]),
].filter((name) => !RUNTIME_PROVIDED.has(name));

interface Deployed {
  handler: string;
  runtime: string;
  architectures: string[];
  environment: Record<string, unknown>;
  /** Absolute path of the code the deployment ships. */
  artifact: string;
  /** The value each config variable gets when the user changes nothing. */
  defaults: Record<string, string>;
}

/** The HCL block `name = merge({ ... }, ...)` or `name { ... }`, by brace matching. */
function hclBlock(source: string, opening: string): string {
  const start = source.indexOf(opening);
  if (start < 0) throw new Error(`"${opening}" not found`);
  let depth = 0;
  for (let i = source.indexOf("{", start); i < source.length; i++) {
    if (source[i] === "{") depth++;
    if (source[i] === "}" && --depth === 0) return source.slice(start, i + 1);
  }
  throw new Error(`unbalanced block after "${opening}"`);
}

function hclDefault(variables: string, name: string): string {
  const block = hclBlock(variables, `variable "${name}" {`);
  const match = /\n\s*default\s*=\s*("([^"]*)"|[0-9]+|\[\])/.exec(block);
  if (!match) throw new Error(`variable ${name} has no default`);
  return match[2] ?? match[1] ?? "";
}

async function terraform(): Promise<Deployed> {
  const dir = join(REPO, "infra/terraform/modules/netutil-detector");
  const lambda = await readFile(join(dir, "lambda.tf"), "utf8");
  const variables = await readFile(join(dir, "variables.tf"), "utf8");
  const example = await readFile(join(REPO, "infra/terraform/examples/complete/main.tf"), "utf8");
  const environment = Object.fromEntries(
    [
      ...hclBlock(lambda, "environment_variables = merge(").matchAll(/\b([A-Z][A-Z0-9_]+)\s*=\s*([^\n,}]+)/g),
    ].map((m) => [m[1], m[2]?.trim()]),
  );
  const fn = hclBlock(lambda, 'resource "aws_lambda_function" "this" {');
  const zip = /coalesce\(var\.lambda_zip, "\$\{path\.module\}\/([^"]+)"\)/.exec(example)?.[1] ?? "";
  return {
    handler: /\n\s*handler\s*=\s*"([^"]+)"/.exec(fn)?.[1] ?? "",
    runtime: hclDefault(variables, "runtime"),
    architectures: JSON.parse(/\n\s*architectures\s*=\s*(\[[^\]]*\])/.exec(fn)?.[1] ?? "[]") as string[],
    environment,
    artifact: resolve(REPO, "infra/terraform/examples/complete", zip),
    defaults: {
      ...Object.fromEntries(
        Object.entries(environment).flatMap(([k, v]) =>
          /^"[^"]*"$/.test(String(v)) ? [[k, JSON.parse(String(v))]] : [],
        ),
      ),
      MIN_SEVERITY: hclDefault(variables, "min_severity"),
      PAGER_MIN_SEVERITY: hclDefault(variables, "pager_min_severity"),
      ALLOWLIST: hclDefault(variables, "allowlist"),
      DEDUP_TTL_SECONDS: hclDefault(variables, "dedup_ttl_seconds"),
      MAX_DECODED_BYTES: hclDefault(variables, "max_decoded_bytes"),
      LOG_LEVEL: hclDefault(variables, "log_level"),
      EVENTBRIDGE_MIN_SEVERITY: hclDefault(variables, "eventbridge_min_severity"),
      SECURITY_HUB_MIN_SEVERITY: hclDefault(variables, "security_hub_min_severity"),
      CHAT_MIN_SEVERITY: hclDefault(variables, "chat_min_severity"),
    },
  };
}

type Node = Record<string, unknown>;

function serverless(config: Node): Deployed {
  const provider = config.provider as Node;
  const fn = (config.functions as Record<string, Node>).detector as Node;
  const params = (config.params as { default: Record<string, string> }).default;
  const environment = provider.environment as Record<string, unknown>;
  const paramOf = (value: unknown) => /^\$\{param:(\w+)\}$/.exec(String(value))?.[1];
  const defaults = Object.fromEntries(
    Object.entries(environment).map(([name, value]) => {
      const param = paramOf(value);
      return [name, param ? String(params[param]) : String(value)];
    }),
  );
  return {
    handler: String(fn.handler),
    runtime: String(provider.runtime),
    architectures: [String(provider.architecture)],
    environment,
    artifact: resolve(REPO, String((config.package as Node).artifact)),
    defaults,
  };
}

function sam(template: Node): Deployed {
  const resources = template.Resources as Record<string, { Properties: Node }>;
  const parameters = template.Parameters as Record<string, { Default?: unknown }>;
  const fn = resources.Detector?.Properties as Node;
  const environment = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
  const defaults = Object.fromEntries(
    Object.entries(environment).map(([name, value]) => {
      const ref = (value as { Ref?: string }).Ref;
      return [name, ref ? String(parameters[ref]?.Default) : String(value)];
    }),
  );
  return {
    handler: String(fn.Handler),
    runtime: String(fn.Runtime),
    architectures: fn.Architectures as string[],
    environment,
    artifact: resolve(REPO, "infra/sam", String(fn.CodeUri)),
    defaults,
  };
}

describe("Terraform, serverless.yml and SAM deploy the same function", { timeout: 60_000 }, () => {
  const deployed = {} as Record<Deployment, Deployed>;

  beforeAll(async () => {
    const decoded = await decodeTemplates([
      join(REPO, "serverless.yml"),
      join(REPO, "infra/sam/template.yaml"),
    ]);
    deployed.terraform = await terraform();
    deployed.serverless = serverless(decoded[join(REPO, "serverless.yml")] as Node);
    deployed.sam = sam(decoded[join(REPO, "infra/sam/template.yaml")] as Node);
  }, 60_000);

  test.each(["terraform", "serverless", "sam"] as const)("%s sets every variable the code reads", (name) => {
    const set = Object.keys(deployed[name].environment);
    const missing = REQUIRED.filter((v) => !set.includes(v) && !(v in DELIBERATELY_DEFAULTED[name]));
    expect(missing, `${name} leaves these unset`).toEqual([]);
    expect(
      set.filter((v) => !REQUIRED.includes(v)),
      `${name} sets variables nothing reads`,
    ).toEqual([]);
    expect(set.filter((v) => RUNTIME_PROVIDED.has(v))).toEqual([]);
  });

  test("the deliberately defaulted variables are optional in src/config.ts", () => {
    const optional = new Set([ENV.pagerTopicArn, ...Object.keys(ENV_DEFAULTS)]);
    for (const skipped of Object.values(DELIBERATELY_DEFAULTED).flatMap((d) => Object.keys(d))) {
      expect(optional.has(skipped), skipped).toBe(true);
    }
  });

  test.each(["terraform", "serverless", "sam"] as const)("%s defaults agree with src/config.ts", (name) => {
    const defaults = deployed[name].defaults;
    for (const [variable, value] of Object.entries(ENV_DEFAULTS)) {
      expect(defaults[variable], `${name} ${variable}`).toBe(value);
    }
    for (const [variable, value] of Object.entries(POWERTOOLS)) {
      expect(defaults[variable], `${name} ${variable}`).toBe(value);
    }
  });

  test.each(["terraform", "serverless", "sam"] as const)(
    "%s runs the built entry handler.handler on nodejs24.x arm64",
    (name) => {
      expect(deployed[name]).toMatchObject({
        handler: "handler.handler",
        runtime: "nodejs24.x",
        architectures: ["arm64"],
      });
    },
  );

  test("all three ship what `npm run build` writes to dist/ (zipped by npm run package)", async () => {
    expect(deployed.terraform.artifact).toBe(join(REPO, "dist/lambda.zip"));
    expect(deployed.serverless.artifact).toBe(join(REPO, "dist/lambda.zip"));
    expect(deployed.sam.artifact).toBe(join(REPO, "dist"));
    const packager = await readFile(join(REPO, "scripts/package.mjs"), "utf8");
    expect(packager).toContain('const REQUIRED = ["handler.js", "package.json"];');
  });

  test("handler.handler names dist/handler.js and its export, when the build has run", async () => {
    let bundle: string;
    try {
      bundle = await readFile(join(REPO, "dist/handler.js"), "utf8");
    } catch {
      // npm test builds first; this only runs the file-level check when dist/ exists.
      expect(deployed.sam.handler.split(".")).toEqual(["handler", "handler"]);
      return;
    }
    expect(bundle).toMatch(
      /export\s*\{[^}]*\bas handler\b[^}]*\}|export\s+(async\s+)?(function|const)\s+handler\b/,
    );
    const manifest = JSON.parse(await readFile(join(REPO, "dist/package.json"), "utf8")) as { type?: string };
    expect(manifest.type).toBe("module");
  });
});
