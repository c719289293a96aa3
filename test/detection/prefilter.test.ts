import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UTILITIES } from "../../src/detection/catalogue.js";
import { mentionsNetworkUtility } from "../../src/detection/prefilter.js";
import { evaluate } from "../../src/detection/rule.js";
import { MULTICALL_BINARIES } from "../../src/shell/index.js";
import { parseMessage } from "../../src/sources/index.js";
import { context, fixtureNames, loadMessage } from "../sources/fixtures.js";
import { processEvent, session } from "./factory.js";

const NAMES = [...UTILITIES.keys(), ...MULTICALL_BINARIES];

/** JSON as Go's encoding/json writes it (Tetragon, Kubernetes): <, > and & as \u escapes. */
function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** JSON with "/" escaped as "\/", which some producers do. */
function slashJson(value: unknown): string {
  return JSON.stringify(value).replaceAll("/", "\\/");
}

const BEFORE = [
  "",
  "/usr/bin/",
  "/",
  " ",
  "|",
  "||",
  ";",
  "&",
  "&&",
  "$(",
  "`",
  "(",
  "'",
  '"',
  "\n",
  "\t",
  "=",
  "<(",
  "<",
  ">",
  "\\",
  "/memfd:",
  '"memfd:',
];
const AFTER = ["", " ", ";", "|", "&", ")", "`", "'", '"', "\n", "\t", "<", ">"];
/** A Go-encoded line as Fluent Bit or Docker ship it without Merge_Log: a string inside a JSON record. */
function wrappedJson(value: unknown): string {
  return JSON.stringify({ log: `${goJson(value)}\n`, stream: "stdout", time: "2026-03-15T22:11:07.402Z" });
}

const ENCODERS = [JSON.stringify, goJson, slashJson, wrappedJson];

describe("mentionsNetworkUtility", () => {
  it("finds every catalogue name wherever it can sit in JSON text", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...NAMES),
        fc.constantFrom(...BEFORE),
        fc.constantFrom(...AFTER),
        fc.string({ maxLength: 20 }),
        fc.string({ maxLength: 20 }),
        fc.constantFrom("binary", "arguments", "proc.cmdline", "comm", "requestParameters"),
        fc.nat(ENCODERS.length - 1),
        fc.boolean(),
        (name, before, after, head, tail, key, encoder, inArray) => {
          // Prepare: the name inside a string value, with a word boundary on each side.
          const value = `${head} ${before}${name}${after} ${tail}`;
          const document = {
            process: { pid: 7, [key]: inArray ? [value] : value },
            time: "2026-03-15T22:11:07Z",
          };
          // Act + Assess
          expect(mentionsNetworkUtility(ENCODERS[encoder]!(document))).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("finds a name that is a whole JSON value, or the whole text", () => {
    for (const name of NAMES) {
      expect(mentionsNetworkUtility(JSON.stringify({ comm: name })), name).toBe(true);
      expect(mentionsNetworkUtility(JSON.stringify([name])), name).toBe(true);
      expect(mentionsNetworkUtility(name), name).toBe(true);
      expect(mentionsNetworkUtility(`${name} -V`), name).toBe(true);
    }
  });

  it("never misses an event the rule identifies a utility in", () => {
    const word = fc.stringMatching(/^[a-z0-9./:-]{1,12}$/);
    const separator = fc.constantFrom(" ", "; ", " | ", " && ", " || ", "\n", " & ", "$(", "`", " <(");
    const processes = fc.oneof(
      fc.record({
        kind: fc.constant("path"),
        name: fc.constantFrom(...NAMES),
        dir: fc.constantFrom("/usr/bin/", "/tmp/.x/", "/bin/", "/memfd:"),
      }),
      fc.record({ kind: fc.constant("name"), name: fc.constantFrom(...NAMES), dir: fc.constant("") }),
    );
    fc.assert(
      fc.property(
        processes,
        fc.array(word, { maxLength: 4 }),
        fc.array(fc.tuple(separator, fc.constantFrom(...NAMES), word), { maxLength: 3 }),
        fc.boolean(),
        fc.nat(ENCODERS.length - 1),
        (proc, args, payloadParts, asSession, encoder) => {
          // Prepare: a process event, or an exec session whose sh -c payload holds utilities.
          const payload = payloadParts.map(([sep, name, arg]) => `${sep}${name} ${arg}`).join("");
          const event = asSession
            ? session("sh", "-c", `echo start${payload}`)
            : proc.kind === "path"
              ? processEvent({ name: proc.name, path: `${proc.dir}${proc.name}`, args })
              : processEvent({ name: proc.name, args }, {});
          if (!asSession && proc.kind === "name") delete event.process.path;
          // Act
          const verdict = evaluate(event);
          const text = ENCODERS[encoder]!(event);
          // Assess
          if (verdict.kind !== "none") expect(mentionsNetworkUtility(text)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it.each(
    fixtureNames().flatMap((name) => [
      [name, "as written", (m: string) => m],
      [name, "in a Fluent Bit record", (m: string) => JSON.stringify({ log: `${m}\n`, stream: "stdout" })],
      [name, "after a CRI prefix", (m: string) => `2026-03-15T22:11:07.402113Z stdout F ${m}`],
    ]),
  )("lets fixture %s (%s) through whenever the rule would identify a utility in it", (name, _how, wrap) => {
    // Prepare
    const message = wrap(loadMessage(name));
    const outcome = parseMessage(message, context());
    const events = outcome.kind === "events" ? outcome.events : [];
    // Act
    const identified = events.some((event) => evaluate(event).kind !== "none");
    // Assess
    if (identified) expect(mentionsNetworkUtility(message)).toBe(true);
  });

  it.each([
    [
      "Kubernetes audit exec with a URL-encoded payload",
      '{"requestURI":"/api/v1/namespaces/a/pods/b/exec?command=sh\\u0026command=-c\\u0026command=c%27%27url+x"}',
    ],
    [
      "a kubelet exec through nodes/proxy with a URL-encoded payload",
      '{"requestURI":"/api/v1/nodes/n1/proxy/exec/ns/p/c?command=sh\\u0026command=-c\\u0026command=c%27%27url+x"}',
    ],
    [
      "an ECS ExecuteCommand record",
      '{"eventName":"ExecuteCommand","requestParameters":{"command":"sh -c \\"c\'\'url x\\""}}',
    ],
    ["Go-escaped && before a name", '{"arguments":"-c \\"cd /tmp \\u0026\\u0026curl http://x\\""}'],
    ["a newline escape before a name", '{"arguments":"-c \\"cd /tmp\\nwget http://x\\""}'],
    ["a path with escaped slashes", '{"binary":"\\/usr\\/bin\\/nc.openbsd"}'],
    ["an executable in an anonymous memory file", '{"proc.exepath":"/memfd:curl (deleted)","proc.name":"3"}'],
  ])("lets %s through", (_label, text) => {
    expect(mentionsNetworkUtility(text)).toBe(true);
  });

  it.each([
    [
      "a Tetragon exec of python",
      JSON.stringify({
        process_exec: {
          process: { binary: "/usr/bin/python3", arguments: "-m http.server", cwd: "/app" },
          parent: { binary: "/bin/sh" },
        },
        node_name: "ip-10-0-1-23.ec2.internal",
      }),
    ],
    ["JSON keys named like utilities", '{"host":"ip-10-0-1-23","dig": 1, "ftp" : true}'],
    [
      "names that only start like utilities",
      '{"binary":"/usr/bin/ncdu","arguments":"--curlftpfs nc-helper hostname wgetrc"}',
    ],
    ["names inside other words", '{"msg":"once in a sync function the host_name is digest"}'],
    ["a user agent", '{"ua":"curl/8.5.0"}'],
    ["a plain application line", "GET /health 200 12ms"],
    ["an empty string", ""],
  ])("skips %s", (_label, text) => {
    expect(mentionsNetworkUtility(text)).toBe(false);
  });

  it("is false, not an exception, for a non-string", () => {
    expect(mentionsNetworkUtility(undefined as unknown as string)).toBe(false);
  });

  it("scans a megabyte without a utility name in bounded time", () => {
    const text = `{"arguments":"${"a/b c=d ".repeat(128 * 1024)}"}`;
    expect(mentionsNetworkUtility(text)).toBe(false);
  });
});
