/**
 * scp, sftp and rsync: remote hosts in `host:path` operands, a local destination is a download and a
 * remote one an upload; ssh options and replacement remote shells that run a local command.
 */
import { executableName } from "../../shell/index.js";
import { hostOf } from "../network.js";
import type { ParsedArgs } from "../options.js";
import type { ToolFamily } from "./types.js";
import { option, options, quote, remoteHost } from "./words.js";

const RSYNC_LONG = [
  "--rsh",
  "--exclude",
  "--include",
  "--exclude-from",
  "--include-from",
  "--files-from",
  "--filter",
  "--password-file",
  "--port",
  "--chmod",
  "--chown",
  "--backup-dir",
  "--suffix",
  "--temp-dir",
  "--compare-dest",
  "--copy-dest",
  "--link-dest",
  "--log-file",
  "--partial-dir",
  "--bwlimit",
  "--timeout",
  "--max-size",
  "--min-size",
  "--rsync-path",
  "--out-format",
  "--address",
];

/** An ssh `-o` option that runs a local command: `-o ProxyCommand=;sh 0<&2 1>&2`, `-oLocalCommand=…`. */
function sshCommandOption(parsed: ParsedArgs): string | undefined {
  for (const o of options(parsed, "-o")) {
    const match =
      /^\s*(ProxyCommand|LocalCommand|KnownHostsCommand|PermitLocalCommand)\s*[=\s]\s*(.*)$/i.exec(
        o.value ?? "",
      );
    if (match === null) continue;
    const key = match[1]!.toLowerCase();
    const value = match[2]!.trim();
    if (key === "permitlocalcommand" || value === "" || value.toLowerCase() === "none") continue;
    // `ProxyCommand ssh -W %h:%p bastion` (and `nc %h %p`) is the ordinary jump host.
    if (key === "proxycommand" && /^(?:\S*\/)?(?:ssh|nc|ncat|netcat|connect-proxy|corkscrew)\s/.test(value))
      continue;
    return o.written;
  }
  return undefined;
}

function executes(name: string, parsed: ParsedArgs): string | undefined {
  // ssh's ProxyCommand/LocalCommand/KnownHostsCommand are run by a local shell (GTFOBins scp, sftp).
  const ssh = sshCommandOption(parsed);
  if (ssh !== undefined) return ssh;
  if (name === "sftp") {
    // -S runs another program in place of ssh, -D a local sftp server (GTFOBins sftp).
    const program = option(parsed, "-S", "-D");
    const first = program?.value?.trim().split(/\s+/)[0];
    if (first !== undefined && !/^(?:ssh|sftp-server)$/.test(executableName(first))) return program?.written;
    return undefined;
  }
  // The "remote shell" is normally ssh; any other program (sh -c …) is a local command run by the tool.
  const shell = option(parsed, name === "rsync" ? "-e" : "-S", "--rsh");
  const program = shell?.value?.trim().split(/\s+/)[0];
  if (program !== undefined && !/^(?:ssh|rsh|autossh|dbclient)$/.test(executableName(program))) {
    return shell?.written;
  }
  return undefined;
}

/**
 * The batch commands an sftp reads from its input, when the command line shows them (`fed`: a
 * here-string, `sftp host <<< $'put /tmp/x'`, Atomic T1105 sftp push, or an `echo`/`printf` piped into
 * it). Each command as its words (`["get", "/x", "/tmp/x"]`).
 */
function sftpBatch(fed: readonly string[]): string[][] {
  const out: string[][] = [];
  for (const text of fed) {
    for (const line of text.slice(0, 64 * 1024).split(/[\n;]/)) {
      const words = line
        .trim()
        .split(/\s+/)
        .filter((w) => w !== "");
      if (words.length > 0 && words.length < 16) out.push(words);
    }
  }
  return out;
}

/** Whether the last operand is a local destination that remote operands are copied into. */
function pullsInto(operands: readonly string[]): string | undefined {
  const destination = operands[operands.length - 1];
  if (
    destination !== undefined &&
    operands.length >= 2 &&
    remoteHost(destination) === undefined &&
    operands.slice(0, -1).some((o) => remoteHost(o) !== undefined)
  ) {
    return destination;
  }
  return undefined;
}

export const remoteCopy: ToolFamily = {
  id: "remote-copy",
  utilities: [
    { name: "scp", category: "remote-copy", options: { valued: "cFiJlPSoDX" } },
    { name: "sftp", category: "remote-copy", options: { valued: "BbcDFiJlPRosS" } },
    { name: "rsync", category: "remote-copy", options: { valued: "eBfTM", longValued: RSYNC_LONG } },
  ],
  executes,
  targets(name, parsed) {
    const hosts: string[] = [];
    for (const operand of parsed.operands) {
      const host = name === "sftp" ? hostOf(operand) : remoteHost(operand);
      if (host !== undefined) hosts.push(host);
    }
    return { hosts, via: [], exemptable: true };
  },
  outputs(name, parsed, fed, sink) {
    const operands = parsed.operands;
    if (name !== "sftp") {
      const destination = pullsInto(operands);
      if (destination !== undefined) sink.file(destination, destination);
      return;
    }
    // `sftp host:remote local` fetches remote into local (Atomic T1105 sftp pull).
    if (operands.length >= 2 && hostOf(operands[0]!) !== undefined && /:./.test(operands[0]!)) {
      sink.file(operands[1], operands[1]!);
    }
    for (const command of sftpBatch(fed)) {
      const [verb, remote, local] = command;
      if (verb === "get" || verb === "reget") {
        const target = local ?? (remote === undefined ? undefined : executableName(remote));
        if (target !== undefined) sink.file(target, `${verb} ${remote}${local ? ` ${local}` : ""}`);
      }
    }
  },
  uploads(name, parsed, fed) {
    if (name === "sftp") {
      const put = sftpBatch(fed).find(([verb]) => verb === "put" || verb === "reput");
      return put === undefined ? undefined : `uploads a file (${quote(put.join(" "))})`;
    }
    const operands = parsed.operands;
    const destination = operands[operands.length - 1];
    if (destination === undefined || operands.length < 2 || remoteHost(destination) === undefined)
      return undefined;
    if (!operands.slice(0, -1).some((o) => remoteHost(o) === undefined)) return undefined;
    return `copies local files to a remote host (${quote(destination)})`;
  },
};
