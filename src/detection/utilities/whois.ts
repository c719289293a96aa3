/** whois: asks a default server unless `-h` names one, so it is never exempt as loopback-only without it. */
import type { ToolFamily } from "./types.js";
import { hostsOf, NO_TARGETS, option } from "./words.js";

export const whois: ToolFamily = {
  id: "whois",
  utilities: [{ name: "whois", category: "download", options: { valued: "hpiTsgqtv" } }],
  targets(_name, parsed) {
    const server = option(parsed, "-h")?.value;
    return server === undefined
      ? { ...NO_TARGETS, exemptable: false }
      : { ...NO_TARGETS, hosts: hostsOf([server]) };
  },
};
