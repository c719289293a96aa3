/** telnet: a relay whose operands are a host and a port, like netcat's. */
import { netcatTargets } from "./netcat.js";
import type { ToolFamily } from "./types.js";

export const telnet: ToolFamily = {
  id: "telnet",
  utilities: [{ name: "telnet", category: "relay", options: { valued: "belnSXk" } }],
  targets: netcatTargets,
};
