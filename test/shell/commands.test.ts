import { describe, expect, it } from "vitest";
import { commandStart, shellPayload } from "../../src/shell/index.js";

describe("shellPayload", () => {
  it.each([
    [["sh", "-c", "curl x"], "curl x"],
    [["/bin/bash", "-lc", "curl x"], "curl x"],
    [["bash", "-ec", "curl x"], "curl x"],
    [["bash", "-o", "pipefail", "-c", "curl x"], "curl x"],
    [["bash", "--norc", "-c", "curl x", "arg0"], "curl x"],
    [["zsh", "-c", "--", "curl x"], "curl x"],
    [["su", "-", "app", "-c", "curl x"], "curl x"],
    [["su", "--command=curl x"], "curl x"],
    [["eval", "curl", "x"], "curl x"],
    [["runuser", "-u", "app", "-c", "curl x"], "curl x"],
    [["su", "-lc", "curl x", "app"], "curl x"],
    [["script", "-qc", "curl x", "/dev/null"], "curl x"],
  ])("finds the payload of %j", (words, payload) => {
    expect(shellPayload(words)).toBe(payload);
  });

  it.each([[["sh", "script.sh"]], [["bash"]], [["sh", "-c"]], [["python3", "-c", "print(1)"]], [[]]])(
    "finds none in %j",
    (words) => {
      expect(shellPayload(words)).toBeUndefined();
    },
  );
});

describe("commandStart", () => {
  it.each([
    [["curl", "x"], 0],
    [["FOO=1", "BAR=2", "curl", "x"], 2],
    [["sudo", "-u", "app", "curl", "x"], 3],
    [["env", "-i", "A=1", "curl"], 3],
    [["timeout", "-s", "KILL", "5", "curl"], 4],
    [["nohup", "nice", "-n", "10", "curl"], 4],
    [["busybox", "wget", "x"], 1],
    [["/bin/busybox", "--help"], 0],
    [["if", "curl", "x"], 1],
    [["command", "-v", "curl"], 0],
    [["xargs", "-n", "1", "curl"], 3],
    [["exec", "curl"], 1],
    [["sudo"], 1],
    [["runuser", "-u", "app", "--", "curl"], 4],
    [["runuser", "-u", "app", "-c", "curl x"], 0],
    [["gosu", "app", "curl"], 2],
    [["su-exec", "app:app", "wget"], 2],
    [["s6-setuidgid", "app", "curl"], 2],
    [["setpriv", "--reuid=1000", "--init-groups", "curl"], 3],
    [["chpst", "-u", "app", "curl"], 3],
    [["tini", "-s", "--", "curl"], 3],
    [["dumb-init", "--single-child", "curl"], 2],
    [["taskset", "-c", "0,1", "curl"], 3],
    [["flock", "/tmp/l", "curl"], 2],
    [["strace", "-f", "-o", "/dev/null", "curl"], 4],
    [["proxychains4", "-q", "curl"], 2],
    [["torsocks", "wget"], 1],
    [["watch", "-n", "5", "curl"], 3],
  ])("starts %j at %i", (argv, index) => {
    expect(commandStart(argv)).toBe(index);
  });
});
