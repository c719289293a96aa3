/** Packet sniffers: they reach no host an argument names; `tcpdump -z` runs a command on each file. */
import type { ToolFamily } from "./types.js";
import { NO_TARGETS, option } from "./words.js";

export const sniffers: ToolFamily = {
  id: "sniffers",
  utilities: [
    { name: "tcpdump", category: "sniffer", options: { valued: "BcCDEFGiMmrstTVwWyzZ" } },
    { name: "tshark", category: "sniffer", options: null },
    { name: "dumpcap", category: "sniffer", options: null },
    { name: "ngrep", category: "sniffer", options: null },
    { name: "mitmproxy", category: "sniffer", options: null },
    { name: "mitmdump", category: "sniffer", options: null },
    { name: "mitmweb", category: "sniffer", options: null },
  ],
  executes: (name, parsed) => (name === "tcpdump" ? option(parsed, "-z")?.written : undefined),
  targets: () => ({ ...NO_TARGETS }),
};
