/**
 * One technique, written once, as each of the five source formats would log it: the three process-tree
 * formats (Tetragon, Falco, Datadog) show the process and the command line of its parent; the two
 * exec-session formats (Kubernetes audit, CloudTrail ECS ExecuteCommand) show the requested argv. Built
 * on the message fixtures of test/fixtures/messages (their provenance is in those files' tests), only
 * the process fields replaced, then parsed by the real parsers and judged by the real rule.
 */
import { type EvaluateOptions, evaluate } from "../../src/detection/rule.js";
import type { SourceFormat, Verdict } from "../../src/model.js";
import { parseMessage } from "../../src/sources/index.js";
import { context, loadFixture } from "../sources/fixtures.js";

export interface Exec {
  /** The process as the kernel ran it: path and argv[1..]. */
  path: string;
  args: string[];
  /** Its parent, usually the shell whose command line started it. */
  parent: { path: string; args: string[] };
  /** Grandparent executable (php-fpm, node…), for lineage. */
  grandparent?: string;
  /** The kernel's name when it differs from the path's (Falco proc.name, Datadog comm). */
  comm?: string;
}

export interface Technique {
  /** How the technique shows in process-tree formats; absent when it only happens through exec sessions. */
  exec?: Exec;
  /** The argv an exec session asks for; absent when the technique cannot come through one. */
  session?: string[];
}

const basename = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/** Tetragon's ArgsDecoder: arguments joined by spaces, quoted only when they contain a space. */
function tetragonArguments(args: string[]): string {
  return args.map((a) => (a.includes(" ") ? `"${a}"` : a)).join(" ");
}

/** One shell word for a CloudTrail `command` string (the SSM agent splits it like a shell). */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function tetragon(exec: Exec): string {
  const root = loadFixture("tetragon-curl-tmp") as { process_exec: Record<string, Record<string, unknown>> };
  const pe = root.process_exec;
  pe.process!.binary = exec.path;
  pe.process!.arguments = tetragonArguments(exec.args);
  pe.process!.cwd = "/app";
  pe.parent!.binary = exec.parent.path;
  pe.parent!.arguments = tetragonArguments(exec.parent.args);
  if (exec.grandparent !== undefined) {
    pe.ancestors = [{ ...pe.parent, binary: exec.grandparent, arguments: "" }] as unknown as Record<
      string,
      unknown
    >;
  }
  return JSON.stringify(root);
}

function falco(exec: Exec): string {
  const root = loadFixture("falco-nc-reverse-shell") as { output_fields: Record<string, unknown> };
  const fields = root.output_fields;
  fields["proc.exepath"] = exec.path;
  fields["proc.name"] = exec.comm ?? basename(exec.path);
  fields["proc.cmdline"] = [exec.comm ?? basename(exec.path), ...exec.args].join(" ");
  fields["proc.pexepath"] = exec.parent.path;
  fields["proc.pname"] = basename(exec.parent.path);
  fields["proc.pcmdline"] = [basename(exec.parent.path), ...exec.parent.args].join(" ");
  fields["proc.aname[2]"] = exec.grandparent === undefined ? "containerd-shim" : basename(exec.grandparent);
  return JSON.stringify(root);
}

function datadog(exec: Exec): string {
  const root = loadFixture("datadog-busybox-wget") as { process: Record<string, unknown> };
  const proc = root.process;
  const executable = (path: string) => ({ path, name: basename(path) });
  proc.comm = (exec.comm ?? basename(exec.path)).slice(0, 15);
  proc.executable = executable(exec.path);
  proc.args = exec.args;
  const parent = {
    comm: basename(exec.parent.path).slice(0, 15),
    executable: executable(exec.parent.path),
    argv0: basename(exec.parent.path),
    args: exec.parent.args,
  };
  proc.parent = parent;
  proc.ancestors = [
    parent,
    ...(exec.grandparent === undefined ? [] : [{ executable: executable(exec.grandparent), args: [] }]),
  ];
  return JSON.stringify(root);
}

function k8sAudit(argv: string[]): string {
  const root = loadFixture("k8s-audit-exec-imds-complete");
  const query = new URLSearchParams();
  for (const word of argv) query.append("command", word);
  query.append("container", "storefront");
  query.append("stdin", "true");
  query.append("stdout", "true");
  root.requestURI = `/api/v1/namespaces/shop/pods/storefront-6d9f8b7c5-2xkzw/exec?${query.toString()}`;
  return JSON.stringify(root);
}

function cloudtrail(argv: string[]): string {
  const root = loadFixture("cloudtrail-ecs-exec-nc") as { requestParameters: Record<string, unknown> };
  root.requestParameters.command = argv.map(shellQuote).join(" ");
  return JSON.stringify(root);
}

/** The technique's log message in every format that can carry it. */
export function messagesOf(technique: Technique): [SourceFormat, string][] {
  const out: [SourceFormat, string][] = [];
  if (technique.exec !== undefined) {
    out.push(
      ["tetragon", tetragon(technique.exec)],
      ["falco", falco(technique.exec)],
      ["datadog", datadog(technique.exec)],
    );
  }
  if (technique.session !== undefined) {
    out.push(
      ["k8s-audit", k8sAudit(technique.session)],
      ["cloudtrail-ecs-exec", cloudtrail(technique.session)],
    );
  }
  return out;
}

/** Parses `message` with the real source registry and judges its one event; throws on anything else. */
export function verdictOf(message: string, format: SourceFormat, options: EvaluateOptions = {}): Verdict {
  const ctx =
    format === "k8s-audit"
      ? context()
      : format === "cloudtrail-ecs-exec"
        ? context({
            logGroup: "aws-cloudtrail-logs-123456789012",
            logStream: "123456789012_CloudTrail_us-east-1",
          })
        : context({ logGroup: "/aws/containerinsights/prod-eks/security", logStream: "ip-10-0-47-181" });
  const outcome = parseMessage(message, ctx);
  if (outcome.kind !== "events" || outcome.events.length !== 1) {
    throw new Error(`${format}: expected one event, got ${JSON.stringify(outcome).slice(0, 300)}`);
  }
  return evaluate(outcome.events[0]!, options);
}
