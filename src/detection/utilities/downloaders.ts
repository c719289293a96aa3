/** Download tools without a family of their own: lwp-download, aria2c (with its hooks), axel. */
import type { ToolFamily } from "./types.js";
import { hostsOf, IN_CWD, option } from "./words.js";

export const downloaders: ToolFamily = {
  id: "downloaders",
  utilities: [
    { name: "lwp-download", category: "download", options: null },
    {
      name: "aria2c",
      category: "download",
      options: { valued: "dojsxki", longValued: ["--dir", "--out", "--input-file"] },
    },
    {
      name: "axel",
      category: "download",
      options: { valued: "snoHU", longValued: ["--output", "--header", "--user-agent"] },
    },
  ],
  executes(name, parsed) {
    if (name !== "aria2c") return undefined;
    // --on-download-complete=COMMAND and its siblings run COMMAND.
    return parsed.options.find((o) => /^--on-(?:bt-)?download-/.test(o.name) && o.value !== undefined)
      ?.written;
  },
  targets(name, parsed) {
    // lwp-download URL [LOCAL]: only the first operand is remote.
    const operands = name === "lwp-download" ? [parsed.operands[0]] : parsed.operands;
    return { hosts: hostsOf(operands), via: [], exemptable: true };
  },
  outputs(name, parsed, _fed, sink) {
    const operands = parsed.operands;
    if (name === "lwp-download") {
      if (operands[1] !== undefined) sink.file(operands[1], operands[1]);
      else sink.into(".", IN_CWD);
    } else if (name === "aria2c") {
      const target = option(parsed, "-d", "--dir")?.value;
      const named = option(parsed, "-o", "--out")?.value;
      if (named !== undefined) sink.file(target !== undefined ? `${target}/${named}` : named, "-o");
      else sink.dir(target ?? ".", target !== undefined ? "-d" : IN_CWD);
    } else if (name === "axel") {
      const named = option(parsed, "-o", "--output");
      if (named !== undefined) sink.file(named.value, named.written);
      else sink.into(".", IN_CWD);
    }
  },
};
