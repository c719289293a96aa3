/**
 * Commands that run their arguments as another command (`sudo -u x`, `env A=1`, `timeout 5`,
 * `nohup`, `xargs -n1`…), with the options each takes, so that the reader can look through them to
 * the command they run. Adding a wrapper is one entry in {@link WRAPPERS}.
 */
import { ASSIGNMENT } from "./words.js";

/** How a wrapper's own words are laid out before the command it runs. */
export interface WrapperSpec {
  /** Short options that take a value (the rest of the cluster or the next word). */
  valued: string;
  /** Long options that take a value when it is not attached with "=". */
  longValued?: readonly string[];
  /** Words that follow the options before the command (timeout's DURATION, chroot's NEWROOT). */
  operandsBefore?: number;
  /** Options that make the wrapper not run a command (`command -v`). */
  stops?: readonly string[];
  /** Assignments may follow the options (env). */
  assignments?: boolean;
}

/** Commands that run their arguments as another command; the reader looks through them. */
export const WRAPPERS: ReadonlyMap<string, WrapperSpec> = new Map<string, WrapperSpec>([
  ["env", { valued: "uCS", longValued: ["--unset", "--chdir", "--split-string"], assignments: true }],
  ["sudo", { valued: "ugCDhprtTU", longValued: ["--user", "--group", "--chdir", "--host", "--prompt"] }],
  ["doas", { valued: "uC" }],
  ["nohup", { valued: "" }],
  ["setsid", { valued: "" }],
  ["exec", { valued: "a" }],
  ["command", { valued: "", stops: ["-v", "-V"] }],
  ["builtin", { valued: "" }],
  ["time", { valued: "fo", longValued: ["--format", "--output"] }],
  ["nice", { valued: "n", longValued: ["--adjustment"] }],
  ["ionice", { valued: "cnpPu", longValued: ["--class", "--classdata"] }],
  ["stdbuf", { valued: "ioe", longValued: ["--input", "--output", "--error"] }],
  ["timeout", { valued: "sk", longValued: ["--signal", "--kill-after"], operandsBefore: 1 }],
  ["chroot", { valued: "", longValued: ["--userspec", "--groups"], operandsBefore: 1 }],
  ["xargs", { valued: "adEILlnPs", longValued: ["--arg-file", "--delimiter", "--max-args", "--max-procs"] }],
  ["unshare", { valued: "", longValued: ["--setuid", "--setgid", "--wd", "--root"] }],
  ["nsenter", { valued: "tSGrw", longValued: ["--target", "--setuid", "--setgid", "--root", "--wd"] }],
  // Privilege droppers and init shims of container entrypoints: `gosu app cmd`, `su-exec app cmd`…
  [
    "runuser",
    {
      valued: "ugGw",
      longValued: ["--user", "--group", "--supp-group", "--whitelist-environment"],
      stops: ["-c", "--command", "--session-command", "-l", "--login", "-"],
    },
  ],
  ["gosu", { valued: "", operandsBefore: 1 }],
  ["su-exec", { valued: "", operandsBefore: 1 }],
  ["s6-setuidgid", { valued: "", operandsBefore: 1 }],
  ["setpriv", { valued: "", longValued: ["--reuid", "--regid", "--groups", "--securebits"] }],
  ["chpst", { valued: "uUe/nlLmdopfcrt" }],
  ["tini", { valued: "pe" }],
  ["dumb-init", { valued: "r", longValued: ["--rewrite"] }],
  ["taskset", { valued: "", operandsBefore: 1 }],
  [
    "flock",
    {
      valued: "wE",
      longValued: ["--timeout", "--conflict-exit-code"],
      operandsBefore: 1,
      stops: ["-c", "--command"],
    },
  ],
  // Tools that run a command to trace it or to route its traffic (through Tor or a SOCKS proxy).
  ["strace", { valued: "eoOpPsSuIbXaE" }],
  ["ltrace", { valued: "aAeEnopuxDlFLw" }],
  ["proxychains", { valued: "f" }],
  ["proxychains4", { valued: "f" }],
  ["torsocks", { valued: "upaP", longValued: ["--user", "--pass", "--address", "--port"] }],
  ["tsocks", { valued: "" }],
  ["watch", { valued: "nq", longValued: ["--interval", "--equexit"] }],
]);

/**
 * Where the command a wrapper runs starts: the index in `argv` past the wrapper's options (from
 * `start`, just after the wrapper's name) and operands; -1 when the options say it runs no command.
 */
export function skipWrapper(argv: readonly string[], start: number, spec: WrapperSpec): number {
  let i = start;
  while (i < argv.length) {
    const word = argv[i]!;
    if (spec.stops?.includes(word)) return -1;
    if (word === "--") return i + 1;
    if (word.startsWith("--")) {
      i += word.includes("=") || !spec.longValued?.includes(word) ? 1 : 2;
      continue;
    }
    if (word.startsWith("-") && word.length > 1) {
      // A cluster such as -un or -n10: a valued letter takes the rest of the cluster or the next word.
      let consumedNext = false;
      for (let k = 1; k < word.length; k++) {
        if (spec.valued.includes(word[k]!)) {
          consumedNext = k === word.length - 1;
          break;
        }
      }
      i += consumedNext ? 2 : 1;
      continue;
    }
    if (spec.assignments && ASSIGNMENT.test(word)) {
      i++;
      continue;
    }
    break;
  }
  return Math.min(i + (spec.operandsBefore ?? 0), argv.length);
}
