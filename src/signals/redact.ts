/**
 * Safe text: every string that leaves the function (signal JSON, email, subject, logs) goes through
 * {@link redactText} first. Sanitizing removes what could inject into a terminal, a mail client or
 * a pager title; redaction masks credential-looking values. Every pattern is linear-time (bounded
 * quantifiers, anchored starts), so hostile 1 MB command lines cost milliseconds, not minutes.
 *
 * Why this file is past ~400 lines: the masks run as one ordered pass (sanitize, private keys, rules,
 * named values, user:password, per-program options, headers, config lines, repeated to a fixed point)
 * and each one's pattern is written against what the earlier ones leave; they are read and changed
 * together. What is separate lives apart: the marker and in-place masking (redact-mask.ts), which
 * options are secret for which program (redact-tools.ts), and the signal's fields (signal-fields.ts).
 */
import type { Signal } from "../model.js";
import { maskAfter, maskValue, REDACTED } from "./redact-mask.js";
import {
  CommandContext,
  isSocatAddress,
  knownProgram,
  type Masker,
  maskCookieData,
  TOOL_OPTION_INDEX,
  toolName,
  toolOption,
} from "./redact-tools.js";
import { type FieldPass, mapSignal } from "./signal-fields.js";

export { REDACTED } from "./redact-mask.js";

/** Longest text redacted in full; anything beyond is cut with a visible marker before any regex runs. */
const MAX_REDACT_CHARS = 2 * 1024 * 1024;

// ANSI/VT sequences: CSI (ESC [ or 0x9B), string commands OSC/DCS/SOS/PM/APC (ESC ] P X ^ _ or their C1
// forms) up to BEL or ST, and two-byte ESC sequences. An unterminated string command loses only its
// introducer (the text after it is evidence, not something to hide); bodies are bounded.
const ESCAPE_SEQUENCES =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /(?:\x1b\[|\x9b)[\x30-\x3f]{0,64}[\x20-\x2f]{0,16}[\x40-\x7e]?|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]{0,4096}(?:\x07|\x1b\\|\x9c)|\x1b[\x20-\x2f]{0,16}[\x30-\x7e]?/g;
const LINE_BREAKS = /[\t\n\r\v\f\u0085\u2028\u2029]/g;
// C0, DEL, C1, the interlinear annotation controls, and every default-ignorable code point (the Unicode
// property: bidi marks/overrides/isolates, zero-width characters, variation selectors, fillers, tag
// characters used to smuggle hidden text), so no hand list can fall behind the standard.
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\x00-\x1f\x7f-\x9f\ufff9-\ufffb]|\p{Default_Ignorable_Code_Point}/gu;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Makes untrusted text safe to show on one line: removes ANSI/VT escape sequences, C0/C1 control
 * characters, bidi overrides, zero-width and tag characters; tabs and line breaks become a space;
 * lone surrogates become U+FFFD. Never throws; non-strings yield "".
 */
export function sanitizeText(text: string): string {
  if (typeof text !== "string") return "";
  if (text.length > MAX_REDACT_CHARS) text = truncateText(text, MAX_REDACT_CHARS);
  return text
    .replace(ESCAPE_SEQUENCES, "")
    .replace(LINE_BREAKS, " ")
    .replace(INVISIBLE, "")
    .replace(LONE_SURROGATE, "\ufffd");
}

/** `text` cut to `max` UTF-16 units (never inside a surrogate pair) plus a marker saying how much went. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  const keep = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, keep)}…[truncated ${text.length - keep} chars]`;
}

/**
 * Key names whose values are secrets (env assignments, query strings, JSON keys, long options),
 * including the password variables clients read: SSHPASS (sshpass -e), MYSQL_PWD, PGPASSWORD,
 * REDISCLI_AUTH (redis-cli), SQLCMDPASSWORD, PASSWD (smbclient), IPMI_PASSWORD (ipmitool -E),
 * RSYNC_PASSWORD, ETCDCTL_PASSWORD, and docker's `"auth"` key.
 */
const SECRET_NAME =
  /(?<![a-z])pass(?![a-z])|sshpass|passw(?:or)?d|passphrase|pwd|(?<![a-z])auth(?![a-z])|secret|token(?!iz)|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential|signature|(?<![a-z])sig(?![a-z])|session[_-]?(?:id|key)|sessid|auth[_-]?(?:key|code)|proxy-?auth|bearer/i;
/** Option names that look secret but carry a reference to one (a file, a variable), not the secret. */
const SECRET_REFERENCE = /(?:file|path|dir|env|stdin|cmd|command|helper|type|endpoint|url)$/i;

/** True when an option or key name (dashes and quotes ignored) names a secret value. */
function isSecretName(name: string): boolean {
  const bare = name.replace(/^[-"']+|["']+$/g, "");
  // PWD/OLDPWD are the shell's working directories, not passwords.
  if (bare === "PWD" || bare === "OLDPWD") return false;
  return SECRET_NAME.test(bare) && !SECRET_REFERENCE.test(bare);
}

const PRIVATE_KEY_BEGIN = /-----BEGIN[A-Z0-9 ]{0,48}PRIVATE KEY( BLOCK)?-----/g;
const PRIVATE_KEY_END = /-----END[A-Z0-9 ]{0,48}PRIVATE KEY( BLOCK)?-----/g;

/** A private key block, headers included; an unterminated block is masked to the end of the text. */
function maskPrivateKeys(text: string): string {
  if (!text.includes("PRIVATE KEY")) return text;
  let out = "";
  let from = 0;
  PRIVATE_KEY_BEGIN.lastIndex = 0;
  for (let begin = PRIVATE_KEY_BEGIN.exec(text); begin; begin = PRIVATE_KEY_BEGIN.exec(text)) {
    PRIVATE_KEY_END.lastIndex = begin.index + begin[0].length;
    const end = PRIVATE_KEY_END.exec(text);
    out += `${text.slice(from, begin.index)}[REDACTED PRIVATE KEY]`;
    from = end ? end.index + end[0].length : text.length;
    PRIVATE_KEY_BEGIN.lastIndex = from;
  }
  return out + text.slice(from);
}

interface Rule {
  pattern: RegExp;
  replace: (match: string, ...groups: string[]) => string;
}

const AUTH_SCHEMES =
  "basic|bearer|digest|negotiate|ntlm|token|hoba|mutual|vapid|aws4-hmac-sha256|scram-sha-\\d{1,3}";

const RULES: readonly Rule[] = [
  {
    // Authorization / Cookie headers: the scheme stays, everything up to the closing quote goes.
    pattern: new RegExp(
      `(?:(?<![A-Za-z0-9_-])|(?<=-H))((?:proxy-)?authorization|set-cookie|cookie)([ \\t]*["']?[ \\t]*[:=][ \\t]*["']?)(?:(${AUTH_SCHEMES})[ \\t]+)?(?!(?:${AUTH_SCHEMES})[ \\t]*['"\`])([^\\s'"\`][^'"\`]*)`,
      "gi",
    ),
    replace: (_m, name, sep, scheme) => `${name}${sep}${scheme ? `${scheme} ` : ""}${REDACTED}`,
  },
  {
    // --cookie 'name=value; …' (cookie data, not a cookie jar file), whatever the tool.
    pattern: /(?<![^\s'"])(--cookie)(=|[ \t]+)("[^"]*"?|'[^']*'?|[^\s'"]+)/g,
    replace: (match, option, sep, value) =>
      value.includes("=") ? `${option}${sep}${maskValue(value)}` : match,
  },
  {
    pattern: /\b(bearer)[ \t]+[A-Za-z0-9._~+/-]{4,}=*/gi,
    replace: (_m, word) => `${word} ${REDACTED}`,
  },
  {
    // scheme://user:password@host — the user stays, the password goes.
    // The last @ ends the user part (`pa@ss` unencoded belongs to the password).
    pattern: /\b([a-z][a-z0-9+.-]{0,31}:\/\/)([^\s/?#@:'"]{0,256}):([^\s/?#'"]+)@/gi,
    // `https://TOKEN:x-oauth-basic@github.com` puts the secret in the user part.
    replace: (_m, scheme, user, password) =>
      password === "x-oauth-basic" ? `${scheme}${REDACTED}:${password}@` : `${scheme}${user}:${REDACTED}@`,
  },
  {
    // scheme://TOKEN@host: a user part that long and plain is a token, not a login name.
    pattern: /\b([a-z][a-z0-9+.-]{0,31}:\/\/)[A-Za-z0-9_-]{20,256}@/gi,
    replace: (_m, scheme) => `${scheme}${REDACTED}@`,
  },
  {
    // `aws configure set aws_secret_access_key VALUE`
    pattern: /\b(aws_secret_access_key|aws_session_token|secret_access_key)[ \t]+([^\s'"=:][^\s'"]*)/gi,
    replace: (_m, name) => `${name} ${REDACTED}`,
  },
  {
    pattern: /(?<![A-Z0-9])(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])/g,
    replace: (_m, prefix) => `${prefix}${REDACTED}`,
  },
  {
    // Provider tokens with a recognizable prefix: GitHub, GitLab, Slack, npm, Stripe, Google API keys.
    pattern:
      /\b(gh[pousr]_|github_pat_|glpat-|npm_|[sr]k_live_|AIza)[A-Za-z0-9_-]{16,}|\b(xox[abposr]-|xapp-)[A-Za-z0-9-]{8,}/g,
    replace: (_m, prefix, slack) => `${prefix ?? slack}${REDACTED}`,
  },
  {
    // JSON Web Tokens (header.payload.signature), often passed without any "bearer".
    pattern: /(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
    replace: () => REDACTED,
  },
];

/**
 * A name followed by its value, where only secret names matter: the name pattern matches the name and
 * separator only, so the value of a harmless name is scanned again for secrets (`url=https://h/?token=x`).
 */
interface NamedValueRule {
  name: RegExp;
  value: RegExp;
}

const NAMED_VALUE_RULES: readonly NamedValueRule[] = [
  {
    // --password value, --token "value" (space separated, in free text such as a `sh -c` payload).
    name: /(?<![^\s'"])(--?[A-Za-z][A-Za-z0-9_-]{0,63})[ \t]+/g,
    value: /"[^"]*"?|'[^']*'?|[^\s'"-][^\s'"]*/y,
  },
  {
    // key=value, "key":"value", key: value, ?token=… — a bare `name:tag` (an image reference) is no
    // assignment, so a colon needs a quoted key or a space after it.
    name: /(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]{1,128})(?:["']?[ \t]*=[ \t]*|["'][ \t]*:[ \t]*|[ \t]*:[ \t]+)/g,
    value: /"[^"]*"?|'[^']*'?|[^\s"'&;,]+/y,
  },
];

function maskNamedValues(text: string, rule: NamedValueRule): string {
  let out = "";
  let from = 0;
  rule.name.lastIndex = 0;
  for (let m = rule.name.exec(text); m; m = rule.name.exec(text)) {
    if (!isSecretName(m[1] ?? "")) continue;
    rule.value.lastIndex = m.index + m[0].length;
    const value = rule.value.exec(text);
    if (!value) continue;
    out += text.slice(from, value.index) + maskValue(value[0]);
    from = value.index + value[0].length;
    rule.name.lastIndex = from;
  }
  return out + text.slice(from);
}

// -u user:pass, --user=user:pass, -uuser:pass, --proxy-user user:pass (curl, wget and friends).
const USER_PASSWORD =
  /(?<![^\s'"=])(--(?:proxy-|http-|ftp-)?user(?![A-Za-z0-9-])|-[uU])([ \t]+|=)?(["']?)([^\s'":@]{0,4096}):([^\s'"]*)/g;

/**
 * `-u user:password` in free text: the password goes; a user followed by an empty password is a
 * token (`curl -u "$API_KEY:"`) and goes instead. Left alone only when it is socat's `-u`/`-U` before a
 * socat address, in a command that runs socat.
 */
function maskUserPasswords(text: string): string {
  const context = new CommandContext(text);
  let out = "";
  let from = 0;
  USER_PASSWORD.lastIndex = 0;
  for (let m = USER_PASSWORD.exec(text); m; m = USER_PASSWORD.exec(text)) {
    const [match, option = "", sep = "", quote = "", user = "", password = ""] = m;
    const program = context.programAt(m.index);
    if (/^[ \t]+$/.test(sep) && isSocatAddress(program, option, `${user}:${password}`)) continue;
    let masked: string;
    if (password !== "") masked = `${option}${sep}${quote}${user}:${REDACTED}`;
    else if (user.length >= 8 && user !== REDACTED) masked = `${option}${sep}${quote}${REDACTED}:`;
    else continue;
    out += text.slice(from, m.index) + masked;
    from = m.index + match.length;
  }
  return out + text.slice(from);
}

const OPTION_WORD = /(?<![^\s'"])--?[A-Za-z][^\s'"=]*/g;
const OPTION_VALUE = /"[^"]*"?|'[^']*'?|[^\s'"]+/y;

/** Tool-specific secret options in free text (`mysql -psecret`, `sshpass -p secret`, `redis-cli -a x`). */
function maskToolOptions(text: string): string {
  const context = new CommandContext(text);
  let out = "";
  let from = 0;
  OPTION_WORD.lastIndex = 0;
  for (let m = OPTION_WORD.exec(text); m; m = OPTION_WORD.exec(text)) {
    const word = m[0];
    const options = TOOL_OPTION_INDEX.get(context.programAt(m.index));
    if (!options) continue;
    const end = m.index + word.length;
    const after = text[end] ?? "";
    let masker: Masker | undefined;
    let start = end;
    if (options.has(word) && (after === " " || after === "\t")) {
      masker = options.get(word)?.next;
      while (text[start] === " " || text[start] === "\t") start++;
    } else if (options.has(word) && after === "=" && word.startsWith("--")) {
      masker = options.get(word)?.next;
      start = end + 1;
    } else if (options.has(word) && (after === '"' || after === "'")) {
      masker = options.get(word)?.glued;
    } else if (!word.startsWith("--") && word.length > 2) {
      masker = options.get(word.slice(0, 2))?.glued;
      start = m.index + 2;
    }
    if (!masker) continue;
    OPTION_VALUE.lastIndex = start;
    const value = OPTION_VALUE.exec(text)?.[0];
    if (value === undefined) continue;
    const masked = masker(value);
    if (masked === value) continue;
    out += text.slice(from, start) + masked;
    from = start + value.length;
    OPTION_WORD.lastIndex = from;
  }
  return out + text.slice(from);
}

/** Header names whose values are secrets (curl -H, wget --header). */
const SECRET_HEADER = /auth|cookie|token|api[_-]?key|secret|passw|session|signature|credential/i;
const HEADER_OPTION =
  /(?<![^\s'"])(?:-H|--header|--proxy-header)(?:=|[ \t]*)(["']?)([A-Za-z0-9_-]{1,128})[ \t]*:[ \t]*/g;
const UNQUOTED_END = /[\s'"]/g;

/**
 * `-H 'X-Api-Key:secret'`, `-HX-Auth-Token:secret`, `--header=…` in free text, with or without a
 * space after the colon (a bare `name:tag` elsewhere is an image reference, so only after a header
 * option). Authorization and Cookie are left to the rule that keeps their scheme.
 */
function maskHeaderOptions(text: string): string {
  let out = "";
  let from = 0;
  HEADER_OPTION.lastIndex = 0;
  for (let m = HEADER_OPTION.exec(text); m; m = HEADER_OPTION.exec(text)) {
    const [match, quote = "", name = ""] = m;
    if (!SECRET_HEADER.test(name) || /^(?:(?:proxy-)?authorization|(?:set-)?cookie)$/i.test(name)) continue;
    const start = m.index + match.length;
    let end: number;
    if (quote !== "") {
      const closing = text.indexOf(quote, start);
      end = closing < 0 ? text.length : closing;
    } else {
      UNQUOTED_END.lastIndex = start;
      end = UNQUOTED_END.exec(text)?.index ?? text.length;
    }
    if (end === start) continue;
    out += text.slice(from, start) + REDACTED;
    from = end;
    HEADER_OPTION.lastIndex = end;
  }
  return out + text.slice(from);
}

/**
 * A `key value` line of ~/.netrc (`machine h login u password x`) or of a curl config read with
 * `curl -K` (`user = name:password`, `oauth2-bearer x`), met in free text: at the start, after
 * whitespace or a quote, or after a printf escape (`printf 'login u\npassword x\n' >> ~/.netrc`).
 * Case-sensitive, as both formats are; `--password x` is left to the option rules.
 */
const CONFIG_KEY =
  /(?:(?<![^\s'"])|(?<=\\[ntr]))(password|pass|proxy-pass|oauth2-bearer|user|proxy-user)(?:[ \t]*[=:][ \t]*|[ \t]+)/g;
const CONFIG_VALUE = /"[^"]*"?|'[^']*'?|(?:[^\s'"\\]|\\(?![ntr]))+/y;

const CONFIG_HINT = /pass|user|oauth2-bearer/;

function maskConfigLines(text: string): string {
  if (!CONFIG_HINT.test(text)) return text;
  let out = "";
  let from = 0;
  CONFIG_KEY.lastIndex = 0;
  for (let m = CONFIG_KEY.exec(text); m; m = CONFIG_KEY.exec(text)) {
    const start = m.index + m[0].length;
    CONFIG_VALUE.lastIndex = start;
    const value = CONFIG_VALUE.exec(text)?.[0];
    if (value === undefined || value.startsWith("-")) continue;
    // `user` holds `name:password`: the name stays; a value without a colon is only a name.
    const masked = m[1]?.endsWith("user") ? maskAfter(value, ":") : maskValue(value);
    if (masked === value) continue;
    out += text.slice(from, start) + masked;
    from = start + value.length;
    CONFIG_KEY.lastIndex = from;
  }
  return out + text.slice(from);
}

/** Characters that end a shell word outside quotes. */
const WORD_END = /[\s|;&()<>`]/;

/**
 * The text with every shell word made of several pieces written as one quoted string
 * (`'Authorization: Bearer '"tok"` reads `'Authorization: Bearer tok'`, `-u bob:'pw'` reads
 * `-u 'bob:pw'`), so a secret split by quoting is seen whole. Words of one piece stay as they are;
 * one pass, linear.
 */
export function joinQuotedPieces(text: string): string {
  if (!text.includes("'") && !text.includes('"')) return text;
  let out = "";
  let i = 0;
  while (i < text.length) {
    if (WORD_END.test(text[i]!)) {
      out += text[i];
      i++;
      continue;
    }
    const start = i;
    let contents = "";
    let pieces = 0;
    let firstQuote = "";
    let inBare = false;
    while (i < text.length && !WORD_END.test(text[i]!)) {
      const c = text[i]!;
      if (c === "'" || c === '"') {
        const close = c === "'" ? text.indexOf("'", i + 1) : closingDoubleQuote(text, i + 1);
        const end = close < 0 ? text.length : close;
        contents += text.slice(i + 1, end);
        firstQuote ||= c;
        pieces++;
        inBare = false;
        i = close < 0 ? text.length : close + 1;
        continue;
      }
      if (!inBare) pieces++;
      inBare = true;
      const step = c === "\\" && i + 1 < text.length ? 2 : 1;
      contents += text.slice(i, i + step);
      i += step;
    }
    // JSON (`{"k":"v"}`) is quoted data, not shell words glued together.
    const json = text[start] === "{" || text[start] === "[";
    out +=
      pieces > 1 && firstQuote !== "" && !json
        ? `${firstQuote}${contents}${firstQuote}`
        : text.slice(start, i);
  }
  return out;
}

/** Index of the `"` closing a double-quoted string whose contents start at `from`, or -1. */
function closingDoubleQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

/** Every masking rule needs one of these; most arguments (`-s`, `/tmp/x`) have none and skip them all. */
const MIGHT_HOLD_SECRET =
  /[=:@\s]|bearer|AKIA|ASIA|ABIA|ACCA|gh[pousr]_|github_pat_|glpat-|xox[abposr]-|xapp-|npm_|k_live_|AIza|eyJ|PRIVATE KEY/i;

/**
 * {@link sanitizeText}, then masks credential-looking values with "[REDACTED]": Authorization and
 * Cookie headers, secret-named headers after -H/--header, cookie data, bearer tokens, `-u user:pass`
 * (whatever the user's case; socat's `-u TCP:host:port` stays), `user:pass@` in URLs, secret-named
 * assignments, options and query parameters (password=, --token x, api_key=, X-Amz-Signature=, sig=,
 * aws_secret_access_key=…), tool-specific password options (mysql `-px`, sshpass/hydra `-p x`,
 * redis-cli `-a x`, smbclient `-U u%p`, openssl `-passin pass:x`) judged by the program they follow,
 * AWS access key ids, private key blocks, GitHub/GitLab/Slack/npm/Stripe/Google tokens and JWTs.
 * Idempotent; never throws.
 */
export function redactText(text: string): string {
  const clean = sanitizeText(text);
  if (!MIGHT_HOLD_SECRET.test(clean)) return clean;
  // A masked value can take with it what set a later option's context (`mysql --password='a|b' -px`
  // loses the `|`), so mask again until nothing changes: the result is then idempotent.
  // A secret split by shell quoting is masked in the joined text; text without one keeps its quotes.
  // The joined reading is taken only when it hides more. A mask can glue two words into one (`a=|'b`
  // -> `a=[REDACTED]'b`), so the whole is read again until nothing changes: idempotent.
  let out = clean;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const masked = maskFully(out);
    const joined = joinQuotedPieces(out);
    const maskedJoined = joined === out ? masked : maskFully(joined);
    const next =
      maskedJoined !== masked && visibleLength(maskedJoined) < visibleLength(masked) ? maskedJoined : masked;
    if (next === out) break;
    out = next;
    // maskFully's result is its own fixed point; only a join could still change it.
    if (next === masked && joinQuotedPieces(next) === next) break;
  }
  return out;
}

/** Letters and digits left in the clear (the masks' own excluded). */
function visibleLength(text: string): number {
  return text.replaceAll(REDACTED, "").replace(/[^\p{L}\p{N}]/gu, "").length;
}

function maskFully(text: string): string {
  let out = text;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const next = maskOnce(out);
    if (next === out) break;
    out = next;
  }
  return out;
}

const MAX_PASSES = 4;

function maskOnce(text: string): string {
  let out = maskUserPasswords(maskPrivateKeys(text));
  for (const rule of RULES) {
    rule.pattern.lastIndex = 0;
    out = out.replace(rule.pattern, rule.replace as (match: string, ...rest: unknown[]) => string);
  }
  out = maskConfigLines(maskHeaderOptions(maskToolOptions(out)));
  for (const rule of NAMED_VALUE_RULES) out = maskNamedValues(out, rule);
  return out;
}

/** Options whose next argument is `user:password` (the user stays). */
const USER_PASSWORD_OPTIONS = new Set(["-u", "--user", "-U", "--proxy-user", "--http-user", "--ftp-user"]);
/** Options whose next argument is an HTTP header. */
const HEADER_OPTIONS = new Set(["-H", "--header", "--proxy-header"]);

/**
 * The masked form of `value` given the option before it (unchanged when it holds no secret), or
 * undefined when that option takes no value worth judging.
 */
function maskOptionValue(option: string, value: string, tool: string): string | undefined {
  const masker = toolOption(tool, option, "next");
  if (masker) return masker(value);
  if (USER_PASSWORD_OPTIONS.has(option)) {
    if (isSocatAddress(tool, option, value)) return value;
    // `TOKEN:` with nothing after the colon: the user part is the secret (`curl -u "$API_KEY:"`).
    if (value.endsWith(":")) return value.length > 8 ? `${REDACTED}:` : value;
    if (value.includes(":")) return maskAfter(value, ":");
    return tool === "lftp" ? maskAfter(value, ",") : value;
  }
  if (option === "--cookie") return maskCookieData(value);
  if (HEADER_OPTIONS.has(option)) {
    const colon = value.indexOf(":");
    const header = value.slice(0, Math.max(colon, 0)).trim();
    // Authorization and Cookie are left to redactText, which keeps the scheme ("Bearer [REDACTED]").
    if (colon <= 0 || /^(?:proxy-)?authorization$|cookie$/i.test(header)) return value;
    return SECRET_HEADER.test(header) ? `${header}: ${REDACTED}` : value;
  }
  if (/^--?[A-Za-z][A-Za-z0-9_-]*$/.test(option) && isSecretName(option)) return REDACTED;
  return undefined;
}

/**
 * One argument holding both an option and its value (`--user=u:p`, `--cookie=a=b`, mysql
 * `-psecret`), masked; undefined when it is not such an argument.
 */
function maskGluedValue(arg: string, tool: string): string | undefined {
  if (arg.startsWith("--")) {
    const eq = arg.indexOf("=");
    if (eq <= 2) return undefined;
    const option = arg.slice(0, eq);
    const masked = maskOptionValue(option, arg.slice(eq + 1), tool);
    return masked === undefined ? undefined : `${option}=${masked}`;
  }
  const masker = arg.length > 2 ? toolOption(tool, arg.slice(0, 2), "glued") : undefined;
  return masker ? arg.slice(0, 2) + masker(arg.slice(2)) : undefined;
}

/**
 * Redacts an argument vector (WITHOUT argv[0]) of the program `tool` (its basename, if known): options
 * whose secret is the NEXT argument (`-u user:pass`, `--password x`, `-H 'X-Api-Key: k'`, sshpass
 * `-p pass`) or glued to the option (`--user=u:p`, mysql `-ppass`) are masked, then every argument goes
 * through {@link redactText}. Each argument is judged against the one before it without skipping, so
 * a stray option can only over-mask. A known program among the arguments (`sudo mysql …`,
 * `sshpass -p x ssh -p 2222`) owns the options after it.
 */
export function redactArgs(args: readonly string[], tool = ""): string[] {
  if (!Array.isArray(args)) return [];
  let program = toolName(String(tool));
  const out: string[] = [];
  // The argument before, unless it carried its own value (`-psecret`): that one takes no next argument.
  let previous: string | undefined;
  for (const raw of args) {
    const value = typeof raw === "string" ? raw : String(raw ?? "");
    const asValue = previous === undefined ? undefined : maskOptionValue(previous, value, program);
    // An argument that may be the previous option's value may also be an option with its value glued
    // on (`mysql --cookie -psecret`: a cookie jar named "-psecret", or a password): both readings are
    // made and the more masked one wins, so no secret hides behind an option in front of it.
    const glued = maskGluedValue(value, program);
    const asGlued =
      glued !== undefined && (asValue === undefined || visibleLength(glued) <= visibleLength(asValue))
        ? glued
        : undefined;
    const masked = asGlued ?? asValue ?? value;
    // Even as another option's value (`-u sshpass`): switching can only over-mask what follows.
    if (masked === value) program = knownProgram(value, program) || program;
    previous = asGlued === undefined ? value : undefined;
    out.push(redactText(masked));
  }
  return out;
}

// Digits and the punctuation of times and numbers: no masking rule can match such text.
const PLAIN_TEXT = /^[0-9:.TZ+-]*$/;

/**
 * {@link redactText} and {@link redactArgs} as a pass over a signal's fields, each distinct text
 * redacted once: redacting is pure and costly, and signals repeat their text (one container, parent
 * and command line for thousands of events; a long argument met again in the ancestors).
 */
export class Redactor implements FieldPass {
  private readonly texts = new Map<string, string>();
  private readonly argLists = new Map<string, string[]>();

  text = (text: string): string => {
    if (PLAIN_TEXT.test(text)) return text;
    let redacted = this.texts.get(text);
    if (redacted === undefined) {
      redacted = redactText(text);
      this.texts.set(text, redacted);
    }
    return redacted;
  };

  args = (args: readonly string[], tool: string): string[] => {
    const key = JSON.stringify([tool, ...args]);
    let redacted = this.argLists.get(key);
    if (redacted === undefined) {
      redacted = redactArgs(args, tool);
      this.argLists.set(key, redacted);
    }
    return [...redacted];
  };
}

/**
 * Every text field of a signal through {@link redactText} (argument vectors through
 * {@link redactArgs}), as src/signals/signal-fields.ts declares them. Idempotent: the renderers apply
 * it again as a second line of defence for signals that did not come from buildSignals.
 */
export function redactSignal(signal: Signal): Signal {
  return mapSignal(signal, new Redactor());
}
