import { describe, expect, it } from "vitest";
import { describeCategory, lookupUtility, UTILITIES } from "../../src/detection/catalogue.js";
import { UTILITY_CATEGORIES } from "../../src/model.js";
import { executableName } from "../../src/shell/index.js";

describe("catalogue", () => {
  it.each([
    ["curl", "download"],
    ["/usr/bin/wget", "download"],
    ["/usr/bin/nc.openbsd", "relay"],
    ["nc.traditional", "relay"],
    ["/usr/bin/dig", "dns"],
    ["/usr/sbin/tcpdump", "sniffer"],
    ["/usr/bin/nmap", "scanner"],
    ["/usr/bin/rsync", "remote-copy"],
    ["/tmp/curl (deleted)", "download"],
    ["/memfd:nc (deleted)", "relay"],
    ["memfd:curl", "download"],
  ])("finds %s as %s", (nameOrPath, category) => {
    // Act
    const utility = lookupUtility(nameOrPath);
    // Assess
    expect(utility?.category).toBe(category);
    expect(utility?.name).toBe(executableName(nameOrPath));
  });

  it.each([
    "ncdu",
    "nc-helper",
    "curlftpfs",
    "/usr/bin/curl-config",
    "Curl",
    "wgetrc",
    "hostname",
    "ncat.exe",
    "",
    "/usr/bin/",
  ])("does not take %j for a utility (exact names only)", (nameOrPath) => {
    expect(lookupUtility(nameOrPath)).toBeUndefined();
  });

  it("holds every anchor of DESIGN.md's detection lists", () => {
    const anchors =
      "curl wget lwp-download aria2c axel tftp ftp ncftp ncftpget whois scp sftp rsync nslookup dig host drill kdig delv nc nc.openbsd nc.traditional netcat ncat socat telnet cryptcat nmap masscan zmap zgrab zgrab2 rustscan hping3 nping naabu fping tcpdump tshark ngrep mitmproxy";
    for (const name of anchors.split(" ")) expect(UTILITIES.has(name), name).toBe(true);
  });

  it("describes every category in plain words", () => {
    for (const category of UTILITY_CATEGORIES) expect(describeCategory(category)).toMatch(/^[a-zA-Z ]+$/);
  });

  it("never throws on non-strings", () => {
    expect(lookupUtility(undefined as unknown as string)).toBeUndefined();
  });
});
