/**
 * getopt-style reading of a utility's arguments against a table of the options that take a value (each
 * tool family in utilities/ declares its tables). The tables only need to be right about values: an option they miss makes its value look like
 * an operand, which can only keep the loopback exemption from applying (the safe direction). Options
 * are therefore listed only when sure.
 */

/**
 * Arguments read per invocation: more than a one-megabyte log event can hold, so that no padding
 * (`nc -v -v … -e /bin/sh`) pushes a telling option out of sight. Reading is linear.
 */
export const MAX_ARGS = 512 * 1024;

export interface OptionSpec {
  /** Short option letters that take a value: the rest of the cluster (`-o/tmp/x`) or the next word. */
  valued?: string;
  /** Long options (with their dashes) that take the next word as value unless written `--opt=value`. */
  longValued?: readonly string[];
  /** Whole words that take the next word as value (`nmap -oN file`, `socat -lf file`). */
  wordValued?: readonly string[];
  /** Every `-word` is one option, possibly `-name=value` (nslookup, naabu, socat). */
  singleDashLong?: boolean;
  /** `+word` arguments are options too (dig query options). */
  plusOptions?: boolean;
  /** An option after which everything is that option's (tftp-hpa `-c get file`). */
  restOf?: string;
}

export interface ParsedOption {
  /** With dashes: "-o", "--output", "+short". */
  name: string;
  value?: string;
  /** The option as written, for reasons: "-o /tmp/x", "--output-document=/tmp/x". */
  written: string;
}

export interface ParsedArgs {
  options: ParsedOption[];
  operands: string[];
}

/** Reads `args` (argv without argv[0]) against `spec`. Never throws; reads at most {@link MAX_ARGS} words. */
export function parseArgs(args: readonly string[], spec: OptionSpec): ParsedArgs {
  const options: ParsedOption[] = [];
  const operands: string[] = [];
  const words = args.length > MAX_ARGS ? args.slice(0, MAX_ARGS) : args;
  const valued = spec.valued ?? "";
  let ended = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (typeof word !== "string") continue;
    const plus = spec.plusOptions === true && word.startsWith("+") && word.length > 1;
    if (ended || !((word.startsWith("-") && word.length > 1) || plus)) {
      operands.push(word);
      continue;
    }
    if (word === "--") {
      ended = true;
      continue;
    }
    if (spec.restOf !== undefined && word === spec.restOf) {
      const rest = words.slice(i + 1).join(" ");
      options.push({ name: word, value: rest, written: `${word} ${rest}` });
      break;
    }
    if (plus) {
      const eq = word.indexOf("=");
      options.push(
        eq === -1
          ? { name: word, written: word }
          : { name: word.slice(0, eq), value: word.slice(eq + 1), written: word },
      );
      continue;
    }
    if (spec.wordValued?.includes(word)) {
      options.push(withNextWord(word, words[++i]));
      continue;
    }
    if (word.startsWith("--") || spec.singleDashLong === true) {
      const eq = word.indexOf("=");
      if (eq !== -1) {
        options.push({ name: word.slice(0, eq), value: word.slice(eq + 1), written: word });
      } else if (spec.longValued?.includes(word)) {
        options.push(withNextWord(word, words[++i]));
      } else {
        options.push({ name: word, written: word });
      }
      continue;
    }
    for (let k = 1; k < word.length; k++) {
      const letter = word[k]!;
      if (!valued.includes(letter)) {
        options.push({ name: `-${letter}`, written: `-${letter}` });
        continue;
      }
      const rest = word.slice(k + 1);
      if (rest.length > 0) {
        options.push({ name: `-${letter}`, value: rest, written: `-${letter}${rest}` });
      } else {
        options.push(withNextWord(`-${letter}`, words[++i]));
      }
      break;
    }
  }
  return { options, operands };
}

/** An option whose value is the next word (missing at the end of the list). */
function withNextWord(name: string, value: string | undefined): ParsedOption {
  return value === undefined ? { name, written: name } : { name, value, written: `${name} ${value}` };
}
