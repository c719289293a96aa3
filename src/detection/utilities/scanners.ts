/** Network scanners: their targets are operands, or listed in an option (`-a`, `-host`, `--range`). */
import type { ToolFamily } from "./types.js";
import { hostsOf, NO_TARGETS, options } from "./words.js";

export const scanners: ToolFamily = {
  id: "scanners",
  utilities: [
    {
      name: "nmap",
      category: "scanner",
      options: {
        valued: "pegSDb",
        wordValued: [
          "-iL",
          "-iR",
          "-oN",
          "-oX",
          "-oS",
          "-oG",
          "-oA",
          "--script",
          "--script-args",
          "--top-ports",
        ],
        longValued: [
          "--exclude",
          "--excludefile",
          "--source-port",
          "--data-length",
          "--max-rate",
          "--min-rate",
        ],
      },
    },
    {
      name: "masscan",
      category: "scanner",
      options: { valued: "pcoi", longValued: ["--ports", "--rate", "--range", "--excludefile", "--exclude"] },
    },
    { name: "zmap", category: "scanner", options: { valued: "pobBrnNiISGwcTMOf" } },
    { name: "zgrab", category: "scanner", options: null },
    { name: "zgrab2", category: "scanner", options: null },
    {
      name: "rustscan",
      category: "scanner",
      options: {
        valued: "aprbtu",
        longValued: ["--addresses", "--ports", "--range", "--batch-size", "--timeout"],
      },
    },
    { name: "hping3", category: "scanner", options: { valued: "cipsdtwaEe" } },
    { name: "nping", category: "scanner", options: { valued: "cpgSe" } },
    {
      name: "naabu",
      category: "scanner",
      options: {
        singleDashLong: true,
        wordValued: ["-host", "-list", "-p", "-port", "-top-ports", "-o", "-output"],
      },
    },
    { name: "fping", category: "scanner", options: { valued: "bBcCHiIOpQrSt" } },
  ],
  targets(name, parsed) {
    const operands = parsed.operands;
    if (name === "rustscan" || name === "naabu") {
      const listed = options(parsed, "-a", "--addresses", "-host").flatMap((o) => (o.value ?? "").split(","));
      return { ...NO_TARGETS, hosts: hostsOf([...listed, ...operands]) };
    }
    if (name === "masscan") {
      const ranges = options(parsed, "--range").map((o) => o.value);
      return { ...NO_TARGETS, hosts: hostsOf([...ranges, ...operands]) };
    }
    return { ...NO_TARGETS, hosts: hostsOf(operands) };
  },
};
