/** GNU Wget and Wget2: downloads (into the working directory unless -O/-P), --post-file, --use-askpass. */
import type { OptionSpec, ParsedArgs } from "../options.js";
import type { ToolFamily } from "./types.js";
import { commandOutputSent, IN_CWD, option, options, quote, requestedUrls } from "./words.js";

const WGET_OPTIONS: OptionSpec = {
  valued: "aABDeiIlnoOPQRtTUwXY",
  longValued: [
    "--output-document",
    "--output-file",
    "--append-output",
    "--execute",
    "--input-file",
    "--base",
    "--tries",
    "--timeout",
    "--wait",
    "--quota",
    "--user-agent",
    "--level",
    "--accept",
    "--reject",
    "--domains",
    "--exclude-domains",
    "--directory-prefix",
    "--post-data",
    "--post-file",
    "--body-data",
    "--body-file",
    "--method",
    "--header",
    "--user",
    "--password",
    "--http-user",
    "--http-password",
    "--proxy-user",
    "--proxy-password",
    "--referer",
    "--load-cookies",
    "--save-cookies",
    "--ca-certificate",
    "--certificate",
    "--private-key",
    "--bind-address",
    "--limit-rate",
    "--dns-timeout",
    "--connect-timeout",
    "--read-timeout",
    "--config",
    "--include-directories",
    "--exclude-directories",
    "--proxy",
    "--use-askpass",
  ],
};

function executes(_name: string, parsed: ParsedArgs): string | undefined {
  // --use-askpass=COMMAND runs COMMAND to ask for credentials; `-e use_askpass=…` is the same.
  const askpass = option(parsed, "--use-askpass");
  if (askpass?.value !== undefined && askpass.value !== "") return askpass.written;
  return options(parsed, "-e", "--execute").find((o) => /^\s*use_?askpass\s*=\s*\S/i.test(o.value ?? ""))
    ?.written;
}

function uploads(_name: string, parsed: ParsedArgs): string | undefined {
  const post = option(parsed, "--post-file", "--body-file");
  if (post !== undefined) return `uploads a file (${quote(post.written)})`;
  // -e runs a .wgetrc command: `-e post_file=/etc/passwd` is --post-file.
  const rc = options(parsed, "-e", "--execute").find((o) =>
    /^\s*(?:post|body)_?file\s*=/i.test(o.value ?? ""),
  );
  if (rc !== undefined) return `uploads a file (${quote(rc.written)})`;
  return commandOutputSent(parsed);
}

export const wget: ToolFamily = {
  id: "wget",
  utilities: [
    { name: "wget", category: "download", options: WGET_OPTIONS },
    { name: "wget2", category: "download", options: WGET_OPTIONS },
  ],
  executes,
  uploads,
  requests: requestedUrls,
  outputs(_name, parsed, _fed, sink) {
    const document = options(parsed, "-O", "--output-document");
    for (const o of document) sink.file(o.value, o.written);
    if (document.length === 0 && option(parsed, "--spider") === undefined && parsed.operands.length > 0) {
      const prefix = option(parsed, "-P", "--directory-prefix");
      if (prefix?.value !== undefined) sink.into(prefix.value, prefix.written);
      else sink.into(".", IN_CWD);
    }
  },
};
