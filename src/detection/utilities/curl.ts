/** curl: downloads, uploads (-T, -d @file, -F x=@file), proxies and address overrides, kubelet calls. */
import type { OptionSpec, ParsedArgs } from "../options.js";
import type { ToolFamily } from "./types.js";
import {
  CURL_DATA_OPTIONS,
  commandOutputSent,
  hostsOf,
  IN_CWD,
  NOT_FILES,
  option,
  options,
  quote,
  requestedUrls,
} from "./words.js";

const CURL_OPTIONS: OptionSpec = {
  valued: "AbcCdDeEFHKmoPQrtTuUwxXyYz",
  longValued: [
    "--url",
    "--output",
    "--output-dir",
    "--upload-file",
    ...CURL_DATA_OPTIONS,
    "--header",
    "--proxy",
    "--preproxy",
    "--proxy-user",
    "--proxy-header",
    "--socks4",
    "--socks4a",
    "--socks5",
    "--socks5-hostname",
    "--user",
    "--user-agent",
    "--referer",
    "--cookie",
    "--cookie-jar",
    "--connect-to",
    "--resolve",
    "--max-time",
    "--connect-timeout",
    "--retry",
    "--retry-delay",
    "--retry-max-time",
    "--cacert",
    "--capath",
    "--cert",
    "--cert-type",
    "--key",
    "--key-type",
    "--pass",
    "--request",
    "--write-out",
    "--config",
    "--interface",
    "--dns-servers",
    "--doh-url",
    "--range",
    "--continue-at",
    "--dump-header",
    "--limit-rate",
    "--max-filesize",
    "--max-redirs",
    "--oauth2-bearer",
    "--proto",
    "--proto-redir",
    "--proto-default",
    "--quote",
    "--stderr",
    "--trace",
    "--trace-ascii",
    "--local-port",
    "--speed-limit",
    "--speed-time",
    "--time-cond",
    "--telnet-option",
    "--ftp-port",
    "--mail-from",
    "--mail-rcpt",
    "--netrc-file",
    "--noproxy",
    "--unix-socket",
    "--abstract-unix-socket",
    "--aws-sigv4",
    "--variable",
  ],
};

function targets(_name: string, parsed: ParsedArgs) {
  const via: string[] = [];
  for (const o of options(parsed, "-x", "--proxy", "--preproxy", "--socks4", "--socks4a", "--socks5")) {
    if (o.value !== undefined) via.push(...hostsOf([o.value]));
  }
  for (const o of options(parsed, "--socks5-hostname")) via.push(...hostsOf([o.value]));
  for (const o of options(parsed, "--resolve", "--connect-to")) {
    // HOST:PORT:ADDRESS (resolve) or HOST1:PORT1:HOST2:PORT2 (connect-to): the traffic goes to the third field.
    const third = o.value?.replace(/^\+/, "").split(":").slice(2).join(":");
    const address = o.name === "--connect-to" ? third?.replace(/:\d*$/, "") : third;
    if (address) via.push(address.replace(/^\[|\]$/g, ""));
  }
  // A Unix socket (the Docker or containerd API) is no loopback host, whatever the URL says.
  for (const o of options(parsed, "--unix-socket", "--abstract-unix-socket")) {
    if (o.value !== undefined) via.push(`unix:${o.value}`);
  }
  const urls = options(parsed, "--url").map((o) => o.value);
  return { hosts: hostsOf([...parsed.operands, ...urls]), via, exemptable: true };
}

function uploads(_name: string, parsed: ParsedArgs): string | undefined {
  const upload = option(parsed, "-T", "--upload-file");
  if (upload?.value !== undefined) return `uploads a file (${quote(upload.written)})`;
  for (const o of options(
    parsed,
    "-d",
    "--data",
    "--data-ascii",
    "--data-binary",
    "--json",
    "--data-urlencode",
  )) {
    const value = o.value ?? "";
    const fromFile = value.startsWith("@") || (o.name === "--data-urlencode" && /^[^=]*@/.test(value));
    if (!fromFile) continue;
    return /@-$/.test(value)
      ? `uploads its standard input (${quote(o.written)})`
      : `uploads a file (${quote(o.written)})`;
  }
  const form = options(parsed, "-F", "--form").find((o) => /=\s*[@<]/.test(o.value ?? ""));
  if (form !== undefined) return `uploads a file (${quote(form.written)})`;
  return commandOutputSent(parsed);
}

export const curl: ToolFamily = {
  id: "curl",
  utilities: [{ name: "curl", category: "download", options: CURL_OPTIONS }],
  targets,
  requests: requestedUrls,
  uploads,
  outputs(_name, parsed, _fed, sink) {
    const outputDir = option(parsed, "--output-dir")?.value;
    for (const o of options(parsed, "-o", "--output")) {
      const value = o.value;
      if (value === undefined || NOT_FILES.has(value)) continue;
      sink.file(
        outputDir !== undefined && !value.startsWith("/") ? `${outputDir}/${value}` : value,
        o.written,
      );
    }
    if (option(parsed, "-O", "--remote-name", "--remote-name-all") !== undefined) {
      sink.into(outputDir ?? ".", outputDir !== undefined ? "--output-dir" : IN_CWD);
    }
  },
};
