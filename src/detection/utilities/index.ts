/**
 * The registry of tool families. The catalogue (catalogue.ts: names and categories), the option
 * tables ({@link specFor}) and the prefilter's names are all derived from {@link FAMILIES}: adding a
 * utility is one entry in a family's file, or one new file listed here (README "Adding a utility").
 */
import { UTILITY_CATEGORIES, type UtilityCategory } from "../../model.js";
import type { OptionSpec } from "../options.js";
import { curl } from "./curl.js";
import { dns } from "./dns.js";
import { downloaders } from "./downloaders.js";
import { ftp } from "./ftp.js";
import { netcat } from "./netcat.js";
import { remoteCopy } from "./remote-copy.js";
import { scanners } from "./scanners.js";
import { sniffers } from "./sniffers.js";
import { socat } from "./socat.js";
import { telnet } from "./telnet.js";
import type { ToolFamily, UtilityEntry } from "./types.js";
import { wget } from "./wget.js";
import { whois } from "./whois.js";

export type { Fed, OutputSink, Targets, ToolFamily, UtilityEntry } from "./types.js";

/**
 * Every tool family. Within a category, this order is the order of preference when a shell pattern
 * matches several names (`lookupPattern`): curl before wget before the rest.
 */
export const FAMILIES: readonly ToolFamily[] = Object.freeze([
  curl,
  wget,
  downloaders,
  remoteCopy,
  ftp,
  whois,
  dns,
  netcat,
  socat,
  telnet,
  scanners,
  sniffers,
]);

const rank = (category: UtilityCategory) => UTILITY_CATEGORIES.indexOf(category);

/** Every utility of every family with its family, by category (download first), then {@link FAMILIES} order. */
export const ENTRIES: readonly { entry: UtilityEntry; family: ToolFamily }[] = FAMILIES.flatMap((family) =>
  family.utilities.map((entry) => ({ entry, family })),
).sort((a, b) => rank(a.entry.category) - rank(b.entry.category));

const BY_NAME: ReadonlyMap<string, { entry: UtilityEntry; family: ToolFamily }> = new Map(
  ENTRIES.map((e) => [e.entry.name, e] as const),
);

/** The family a catalogued utility name belongs to. */
export function familyOf(name: string): ToolFamily | undefined {
  return BY_NAME.get(name)?.family;
}

const NO_SPEC: OptionSpec = Object.freeze({});

/** The option table of a catalogued utility (an empty table for utilities without one). */
export function specFor(utility: string): OptionSpec {
  return BY_NAME.get(utility)?.entry.options ?? NO_SPEC;
}

/** Whether two names are the same tool: equal, or names of one tool's family (nc and ncat). */
export function sameTool(a: string | undefined, b: string): boolean {
  if (a === b) return true;
  if (a === undefined) return false;
  const family = familyOf(a);
  return family?.oneTool === true && family === familyOf(b);
}
