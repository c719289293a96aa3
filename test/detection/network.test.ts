import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  exfiltrationLook,
  findCredentialEndpoint,
  hostOf,
  isExemptTarget,
  isLoopback,
  parseIPv4,
  parseIPv6,
} from "../../src/detection/network.js";

const IMDS = 0xa9fea9fe;

describe("parseIPv4", () => {
  it.each([
    "169.254.169.254",
    "2852039166",
    "0xa9fea9fe",
    "0xA9FEA9FE",
    "0251.0376.0251.0376",
    "169.254.43518",
    "169.16689662",
    "0xa9.0xfe.0xa9.0xfe",
  ])("reads %s as 169.254.169.254", (text) => {
    expect(parseIPv4(text)).toBe(IMDS);
  });

  it.each(["256.1.1.1", "1.2.3.4.5", "08.1.1.1", "1..2", "", "a.b.c.d", "4294967296", "1.2.65536"])(
    "rejects %j",
    (text) => {
      expect(parseIPv4(text)).toBeUndefined();
    },
  );
});

describe("parseIPv6", () => {
  it.each([
    ["fd00:ec2::254", [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254]],
    ["[FD00:EC2:0:0:0:0:0:254]", [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254]],
    ["::1", [0, 0, 0, 0, 0, 0, 0, 1]],
    ["::", [0, 0, 0, 0, 0, 0, 0, 0]],
    ["::ffff:169.254.169.254", [0, 0, 0, 0, 0, 0xffff, 0xa9fe, 0xa9fe]],
    ["fe80::1%eth0", [0xfe80, 0, 0, 0, 0, 0, 0, 1]],
  ])("reads %s", (text, groups) => {
    expect(parseIPv6(text)).toEqual(groups);
  });

  it.each(["1:2:3", "::1::2", "12345::1", "g::1", "1.2.3.4", "1:2:3:4:5:6:7:8:9"])("rejects %j", (text) => {
    expect(parseIPv6(text)).toBeUndefined();
  });
});

describe("findCredentialEndpoint", () => {
  it.each([
    ["http://169.254.169.254/latest/meta-data/", "169.254.169.254"],
    ["169.254.169.254:80", "169.254.169.254"],
    ["http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "169.254.170.2"],
    ["http://169.254.170.23/v1/credentials", "169.254.170.23"],
    ["http://[fd00:ec2::254]/latest/api/token", "fd00:ec2::254"],
    ["http://[fd00:ec2:0:0:0:0:0:254]:80/", "fd00:ec2::254"],
    ["http://[::ffff:169.254.169.254]/", "169.254.169.254"],
    ["http://2852039166/latest", "169.254.169.254"],
    ["http://0xa9fea9fe/", "169.254.169.254"],
    ["http://0251.0376.0251.0376/", "169.254.169.254"],
    ["http://169.254.169.254.nip.io/", "169.254.169.254"],
    ["TCP:169.254.169.254:80", "169.254.169.254"],
    ["http://instance-data.ec2.internal/latest/", "169.254.169.254"],
    [`$\{AWS_CONTAINER_CREDENTIALS_FULL_URI}`, "169.254.170.2"],
    ["x:80:169.254.169.254", "169.254.169.254"],
    ["http://app-a9fea9fe.nip.io/latest/", "169.254.169.254"],
    ["http://A9FEAA02.sslip.io/v2/credentials", "169.254.170.2"],
  ])("finds the endpoint in %s", (argument, address) => {
    expect(findCredentialEndpoint(argument)?.address).toBe(address);
  });

  it.each([
    "http://169.254.169.25/",
    "http://169.254.170.234/",
    "1169.254.169.254",
    "http://example.com/169",
    "-m",
    "10.0.0.1",
    "v1.169.254",
    "https://x/archive/4b5ea9fea9fe42b9.tar.gz",
  ])("finds none in %s", (argument) => {
    expect(findCredentialEndpoint(argument)).toBeUndefined();
  });
});

describe("hostOf", () => {
  it.each([
    ["http://user:pw@Example.com:8080/x?y#z", "Example.com"],
    ["https://[::1]:8443/", "::1"],
    ["[fd00:ec2::254]:80", "fd00:ec2::254"],
    ["backup@10.0.0.5:/srv/backup", "10.0.0.5"],
    ["localhost:8080", "localhost"],
    ["example.com/path", "example.com"],
    ["::1", "::1"],
    ["10.0.0.0/8", "10.0.0.0"],
    ["2852039166", "2852039166"],
  ])("finds %s -> %s", (operand, host) => {
    expect(hostOf(operand)).toBe(host);
  });

  it.each(["4444", "20-30", "/etc/passwd", "./x", "-", "", "~/x"])("finds no host in %j", (operand) => {
    expect(hostOf(operand)).toBeUndefined();
  });
});

describe("isLoopback / isExemptTarget", () => {
  it.each([
    "localhost",
    "LOCALHOST.",
    "api.localhost",
    "127.0.0.1",
    "127.1",
    "127.255.255.254",
    "0x7f000001",
    "::1",
    "0:0:0:0:0:0:0:1",
    "::ffff:127.0.0.1",
  ])("%s is loopback", (host) => {
    expect(isLoopback(host)).toBe(true);
  });

  it.each(["128.0.0.1", "0.0.0.0", "::", "localhost.evil.com", "10.0.0.1", "::2", "example.com"])(
    "%s is not loopback",
    (host) => {
      expect(isLoopback(host)).toBe(false);
    },
  );

  it("exempts motd.ubuntu.com, not look-alikes", () => {
    expect(isExemptTarget("motd.ubuntu.com")).toBe(true);
    expect(isExemptTarget("MOTD.ubuntu.com.")).toBe(true);
    expect(isExemptTarget("motd.ubuntu.com.evil.net")).toBe(false);
  });
});

describe("exfiltrationLook", () => {
  it.each([
    ["4a6f686e20446f652c2031323320456c6d205374726565742c.evil.example", /label of 50/],
    [`${"a.".repeat(60)}evil.example`, /name of 132/],
    ["deadbeefcafe0123456789abcdef.t.evil.example", /hex/],
    ["mfrggzdfmztwq2lknnwg23tpobyxe43u.evil.example", /base32/],
    ["SGVsbG8gV29ybGQhIFNlY3JldHM.evil.example", /base64/],
    ["$(cat /etc/hostname | base64).evil.example", /built from command output/],
    ["`whoami`.x.evil.example", /built from command output/],
  ])("flags %s", (name, why) => {
    expect(exfiltrationLook(name)).toMatch(why);
  });

  it.each([
    "myservice.prod.svc.cluster.local",
    "a8f3d4e2b1c94f0a9b8c7d6e5f4a3b2c-1234567890.us-east-1.elb.amazonaws.com",
    "my-very-long-service-name-for-prod.example.com",
    "www.example.com",
    "169.254.169.254",
    "ip-10-0-1-23.ec2.internal",
    "fd00:ec2::254",
    "$(hostname -f)",
    "$(hostname).web.default.svc.cluster.local",
  ])("does not flag %s", (name) => {
    expect(exfiltrationLook(name)).toBeUndefined();
  });

  it("never throws", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        exfiltrationLook(text);
        findCredentialEndpoint(text);
        hostOf(text);
        isExemptTarget(text);
      }),
      { numRuns: 2000 },
    );
  });
});
