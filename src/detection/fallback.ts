/**
 * The cheap, fail-closed judgement for events met after the batch's time budget ran out: no shell
 * reading, no option analysis, only a flat look at the words. An event that names a catalogued
 * utility (as its process, or anywhere in its command lines) is a finding, medium or high, saying
 * that it was not analysed. Linear in the event's text; pure; never throws.
 */
import type { ExecEvent, Finding, ProcessInfo, Severity, Utility, Verdict } from "../model.js";
import { describeCategory, lookupUtility } from "./catalogue.js";

/** Characters of command-line text looked at; a hostile event costs no more than this. */
const MAX_SCAN_CHARS = 256 * 1024;
/** Arguments (and characters of each) kept in the finding, so that rendering stays cheap too. */
const MAX_KEPT_ARGS = 64;
const MAX_KEPT_ARG_CHARS = 2048;

// Flat indicators, read without parsing: a cloud credential endpoint, a pipe into a shell, a shell
// handed to a relay (`nc -e /bin/sh`).
const CREDENTIAL_ENDPOINT = /169\.254\.169\.254|169\.254\.170\.2|fd00:ec2::254/i;
const PIPE_TO_SHELL = /\|[ \t]*(?:\S{0,64}\/)?(?:ba|da|z|k|a)?sh\b/;
const SHELL_TO_RELAY = /(?:^|\s)-[ce][ \t]+(?:\S{0,64}\/)?(?:ba|da|z|k|a)?sh\b/;
const WORD = /[^\s"'`;|&()<>{}$=]+/g;

const NOT_A_UTILITY: Verdict = Object.freeze({ kind: "none", why: "not-a-utility" });
const HOST_PROCESS: Verdict = Object.freeze({ kind: "none", why: "host-process" });

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** The event's command lines as one bounded text: the process's, then its ancestors'. */
function flatText(event: ExecEvent): string {
  const parts = [event.process?.path, event.process?.name, ...strings(event.process?.args)];
  for (const ancestor of Array.isArray(event.ancestors) ? event.ancestors : []) {
    parts.push(ancestor?.path, ancestor?.name, ...strings(ancestor?.args));
  }
  let text = "";
  for (const part of parts) {
    if (typeof part !== "string") continue;
    text += `${part} `;
    if (text.length >= MAX_SCAN_CHARS) return text.slice(0, MAX_SCAN_CHARS);
  }
  return text;
}

/** The first catalogued utility among the words of `text`. */
function firstUtility(text: string): Utility | undefined {
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m; m = WORD.exec(text)) {
    const utility = lookupUtility(m[0]);
    if (utility !== undefined) return utility;
  }
  return undefined;
}

/**
 * A fail-closed verdict without analysis: host processes stay `none`; an event whose process is a
 * utility, or (exec sessions) whose command line names one, is a medium finding, high when a flat
 * indicator shows; anything else is `none/not-a-utility`.
 */
export function unanalysedVerdict(event: ExecEvent, why: string): Verdict {
  if (event?.inContainer !== true) return HOST_PROCESS;
  const process: ProcessInfo = event.process ?? { name: "" };
  const own =
    (typeof process.path === "string" ? lookupUtility(process.path) : undefined) ??
    (typeof process.name === "string" ? lookupUtility(process.name) : undefined);
  const text = flatText(event);
  const utility = own ?? (event.viaExecSession === true ? firstUtility(text) : undefined);
  if (utility === undefined) return NOT_A_UTILITY;
  const indicators: string[] = [];
  if (CREDENTIAL_ENDPOINT.test(text)) indicators.push("its command line names a cloud credential endpoint");
  if (PIPE_TO_SHELL.test(text)) indicators.push("its command line pipes into a shell");
  if (SHELL_TO_RELAY.test(text)) indicators.push("its command line hands a shell to a program");
  const severity: Severity = indicators.length > 0 ? "high" : "medium";
  const reasons = [
    `${utility.name} (${describeCategory(utility.category)}) ran in a container; ${why}`,
    ...indicators,
  ];
  const args = strings(process.args);
  const kept = args.slice(0, MAX_KEPT_ARGS).map((a) => a.slice(0, MAX_KEPT_ARG_CHARS));
  if (args.length > MAX_KEPT_ARGS) kept.push(`…[${args.length - MAX_KEPT_ARGS} more args not analysed]`);
  const finding: Finding = { event, utility, process: { ...process, args: kept }, severity, reasons };
  return { kind: "finding", finding };
}
