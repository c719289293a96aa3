/**
 * What a tool family declares: its names, their category and option tables, and what its arguments
 * mean (which command it runs, which hosts it reaches, which files it writes and sends). Each family is
 * one file beside this one; utilities/index.ts is the registry the catalogue, the option tables and the
 * prefilter's names are derived from.
 */
import type { UtilityCategory } from "../../model.js";
import type { OptionSpec, ParsedArgs } from "../options.js";

/** One executable name of a family. */
export interface UtilityEntry {
  /** The exact executable name, matched as a whole (never as a prefix). */
  name: string;
  category: UtilityCategory;
  /**
   * The options that take a value (options.ts); `null` when none is known, so that every word after
   * an option is read as an operand (which can only keep the loopback exemption from applying).
   */
  options: OptionSpec | null;
}

/** Where an invocation's traffic goes. */
export interface Targets {
  /** Hosts, IP addresses and DNS names the invocation connects to or queries. */
  hosts: string[];
  /** Proxies and address overrides the traffic goes through; not reported, but they void the exemption. */
  via: string[];
  /** False when the tool talks to a default server that no argument shows (whois without -h). */
  exemptable: boolean;
}

/** Collects where an invocation writes what it receives. */
export interface OutputSink {
  /** A file written (ignored when empty, `-` or /dev/null-like); `why` is the option as written. */
  file(path: string | undefined, why: string): void;
  /** A directory written into (the working directory, -P, --output-dir). */
  dir(path: string | undefined, why: string): void;
  /** Files named after the URL operands, written into `directory`; the directory itself when none names one. */
  into(directory: string, why: string): void;
}

/**
 * The texts a command line gives a tool on its standard input, as written: here-strings
 * (`sftp host <<< 'put /tmp/x'`) and what an `echo`/`printf` piped into it prints. Empty for a process
 * event, whose own argv shows no redirections.
 */
export type Fed = readonly string[];

/** A tool family: its names and what its arguments mean. Every function is optional and pure. */
export interface ToolFamily {
  /** One word for the family, as in its file name: "curl", "netcat", "remote-copy". */
  id: string;
  utilities: readonly UtilityEntry[];
  /** The names are one tool under several package names (nc, ncat, netcat…), not different tools. */
  oneTool?: true;
  /** The option or address that makes the tool run a command or shell, as written. */
  executes?(name: string, parsed: ParsedArgs): string | undefined;
  /** Where the traffic goes; without it, every operand's host. */
  targets?(name: string, parsed: ParsedArgs): Targets;
  /**
   * Where the invocation writes what it downloads or receives (redirections are read by the rule).
   * `fed` is what the command line gives it on its standard input, when it shows that ({@link Fed}).
   */
  outputs?(name: string, parsed: ParsedArgs, fed: Fed, sink: OutputSink): void;
  /** What the invocation sends out of the container, in words after its name (`uploads a file (-T x)`). */
  uploads?(name: string, parsed: ParsedArgs, fed: Fed): string | undefined;
  /** The HTTP URLs it requests (looked at for kubelet API calls). */
  requests?(name: string, parsed: ParsedArgs): string[];
}
