/**
 * What flows into a shell as code: a script fed through a pipe or a here-string (`echo 'curl x' | sh`,
 * `sh <<< 'curl x'`), possibly decoded on the way (`echo Y3Vy… | base64 -d | sh`), or decoded words
 * run as a command (`$(echo Y3Vy… | base64 -d)`). Finds the script; reading it is script.ts's job.
 */
import { commandStart, commandWords, executableName, isShell, shellPayload } from "./commands.js";
import { type CommandSegment, MAX_SCRIPT_CHARS } from "./segment.js";

/** An encoding a decoder in a pipeline undoes. */
export type Encoding = "base64" | "base32" | "hex";

/** Decoders whose output can be a script: `base64 -d`, `base32 --decode`, `xxd -r -p`, `openssl base64 -d`. */
function decoderOf(words: readonly string[]): Encoding | undefined {
  const tool = words[0] === undefined ? "" : executableName(words[0]);
  const rest = words.slice(1);
  const decodes = rest.some((w) => w === "--decode" || /^-[A-Za-z]*[dD]$/.test(w));
  if ((tool === "base64" || tool === "basenc") && decodes) return "base64";
  if (tool === "base32" && decodes) return "base32";
  if (tool === "xxd" && rest.some((w) => /^-[A-Za-z]*r/.test(w))) return "hex";
  if (tool === "openssl" && (rest[0] === "base64" || rest.includes("-base64") || rest.includes("-a"))) {
    return rest.includes("-d") ? "base64" : undefined;
  }
  return undefined;
}

/** The literal text an `echo X`/`printf X` segment prints, or a decoder's here-string. */
function printedLiteral(segment: CommandSegment): string | undefined {
  const here = segment.redirects.find((r) => r.op === "<<<");
  if (here !== undefined) return here.target;
  const words = commandWords(segment.argv);
  const tool = words[0];
  if (tool !== "echo" && tool !== "printf") return undefined;
  const operands = words.slice(1).filter((w) => !/^-[neE]+$/.test(w) && w !== "%s");
  return operands.length > 0 ? operands.join(" ") : undefined;
}

/** Decodes `text` as `kind`; undefined unless it is well-formed and decodes to printable text. */
export function decodeStage(text: string, kind: Encoding): string | undefined {
  const compact = text.replace(/\s+/g, "");
  if (compact.length < 4 || compact.length > MAX_SCRIPT_CHARS) return undefined;
  let bytes: Buffer;
  if (kind === "base64") {
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) return undefined;
    bytes = Buffer.from(compact, "base64");
  } else if (kind === "hex") {
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(compact)) return undefined;
    bytes = Buffer.from(compact, "hex");
  } else {
    if (!/^[A-Z2-7]+=*$/i.test(compact)) return undefined;
    bytes = base32Decode(compact.toUpperCase().replace(/=+$/, ""));
  }
  let printable = 0;
  for (const byte of bytes)
    if ((byte >= 0x20 && byte < 0x7f) || byte === 9 || byte === 10 || byte === 13) printable++;
  if (bytes.length === 0 || printable < bytes.length * 0.95) return undefined;
  return bytes.toString("latin1");
}

function base32Decode(text: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of text) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/**
 * The script a command reads as code from its standard input or a substitution, as literal text:
 * `echo Y3VybC… | base64 -d | sh` runs the decoded text; `sh <<< 'curl x'` and `echo 'curl x' | sh`
 * run the literal; `$(echo Y3Vy… | base64 -d)` as a command word runs the decoded words.
 */
export function stdinScript(segment: CommandSegment): { script: string; encoding?: Encoding } | undefined {
  const words = commandWords(segment.argv);
  const head = words[0];
  if (head === undefined) return undefined;
  // A decoder whose output is run as the command itself (`$(echo … | base64 -d)` in command position).
  const sub = segment.substitutionOf;
  if (sub !== undefined && sub.kind === "command" && segment.pipesTo === undefined) {
    const outer = commandWords(sub.segment.argv)[0];
    if (sub.argIndex === commandStart(sub.segment.argv) || outer === "eval") {
      const encoding = decoderOf(words);
      const literal = encoding === undefined ? undefined : sourceLiteral(segment);
      const script = literal === undefined ? undefined : decodeStage(literal, encoding!);
      if (script !== undefined) return { script, encoding: encoding! };
    }
  }
  if (!isShell(head) || shellPayload(words) !== undefined) return undefined;
  if (words.slice(1).some((w) => !w.startsWith("-") || w === "-")) return undefined;
  const here = segment.redirects.find((r) => r.op === "<<<");
  if (here !== undefined) return { script: here.target };
  const from = segment.pipedFrom;
  if (from === undefined) return undefined;
  const fromWords = commandWords(from.argv);
  const encoding = decoderOf(fromWords);
  if (encoding === undefined) {
    const literal = printedLiteral(from);
    return literal === undefined ? undefined : { script: literal };
  }
  const literal = sourceLiteral(from);
  const script = literal === undefined ? undefined : decodeStage(literal, encoding);
  return script === undefined ? undefined : { script, encoding };
}

/** What a decoder segment reads: its here-string, or what the `echo`/`printf` piping into it prints. */
function sourceLiteral(decoder: CommandSegment): string | undefined {
  const here = decoder.redirects.find((r) => r.op === "<<<");
  if (here !== undefined) return here.target;
  return decoder.pipedFrom === undefined ? undefined : printedLiteral(decoder.pipedFrom);
}
