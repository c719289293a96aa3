/**
 * FTP and TFTP clients, busybox's ftpget/ftpput and the ncftp suite: the server is the first operand,
 * `get`/`put` say which way a file goes, lftp's `!command` runs a shell.
 */
import type { ParsedArgs } from "../options.js";
import type { ToolFamily } from "./types.js";
import { hostsOf, IN_CWD, option, options, quote } from "./words.js";

const NCFTP_OPTIONS = { valued: "uUpPjdtf" };
const BUSYBOX_FTP_OPTIONS = { valued: "uPp" };
/** Clients whose first operand is the server (the rest are files). */
const SERVER_FIRST = new Set(["tftp", "ftp", "ftpget", "ftpput", "ncftpget", "ncftpput"]);

function targets(name: string, parsed: ParsedArgs) {
  const operands = parsed.operands;
  return {
    hosts: hostsOf(SERVER_FIRST.has(name) ? [operands[0]] : operands),
    via: [],
    exemptable: true,
  };
}

export const ftp: ToolFamily = {
  id: "ftp",
  utilities: [
    { name: "tftp", category: "download", options: { valued: "lrbmR", restOf: "-c" } },
    { name: "ftp", category: "download", options: { valued: "Ps" } },
    { name: "ncftp", category: "download", options: NCFTP_OPTIONS },
    { name: "ncftpget", category: "download", options: NCFTP_OPTIONS },
    { name: "lftp", category: "download", options: { valued: "eupfc" } },
    { name: "ftpget", category: "download", options: BUSYBOX_FTP_OPTIONS },
    { name: "ncftpput", category: "remote-copy", options: NCFTP_OPTIONS },
    { name: "ftpput", category: "remote-copy", options: BUSYBOX_FTP_OPTIONS },
  ],
  executes(name, parsed) {
    if (name !== "lftp") return undefined;
    return options(parsed, "-c", "-e").find((o) => /(?:^|;)\s*!/.test(o.value ?? ""))?.written;
  },
  targets,
  outputs(name, parsed, _fed, sink) {
    const operands = parsed.operands;
    if (name === "tftp") {
      const rest = option(parsed, "-c")?.value ?? "";
      if (option(parsed, "-g") !== undefined || /^get\b/.test(rest)) {
        const local = option(parsed, "-l")?.value;
        if (local !== undefined) sink.file(local, "-l");
        else sink.dir(".", IN_CWD);
      }
    } else if (name === "ftpget") {
      if (operands.length >= 3) sink.file(operands[1], operands[1]!);
      else sink.dir(".", IN_CWD);
    } else if (name === "ncftpget") {
      if (operands[0] !== undefined && /^[a-z]+:\/\//i.test(operands[0])) sink.into(".", IN_CWD);
      else if (operands[1] !== undefined) sink.dir(operands[1], operands[1]);
    }
  },
  uploads(name, parsed) {
    if (name === "ftpput" || name === "ncftpput") {
      return parsed.operands.length >= 2
        ? `uploads a file (${quote(parsed.operands.slice(1).join(" "))})`
        : undefined;
    }
    if (name !== "tftp") return undefined;
    const rest = option(parsed, "-c")?.value ?? "";
    if (option(parsed, "-p") !== undefined || /^put\b/.test(rest)) {
      const local = option(parsed, "-l")?.value ?? rest.split(/\s+/)[1];
      return `uploads a file${local ? ` (${quote(local)})` : ""}`;
    }
    return undefined;
  },
};
