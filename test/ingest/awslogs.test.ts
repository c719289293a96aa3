import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecodeError } from "../../src/errors.js";
import {
  ASCII_FAST_PATH_BYTES,
  decodeAwslogsData,
  decodeBase64,
  decodePayloadBuffer,
  textOf,
} from "../../src/ingest/awslogs.js";
import { type AwslogsPayload, controlPayload, encodeAwslogsEvent } from "../../src/ingest/encode.js";

const MAX = 32 * 1024 * 1024;

function payload(overrides: Partial<AwslogsPayload> = {}): AwslogsPayload {
  return {
    messageType: "DATA_MESSAGE",
    owner: "123456789012",
    logGroup: "/ecs/payments-api",
    logStream: "ecs/app/0f6c2d9e",
    subscriptionFilters: ["netutil-detector"],
    logEvents: [
      {
        id: "38000000000000000000000000000000000000000000000000000001",
        timestamp: 1_764_324_902_000,
        message: "a",
      },
      {
        id: "38000000000000000000000000000000000000000000000000000002",
        timestamp: 1_764_324_902_001,
        message: "b",
      },
    ],
    ...overrides,
  };
}

function data(value: unknown): string {
  return gzipSync(Buffer.from(JSON.stringify(value))).toString("base64");
}

function stageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return (error as DecodeError).stage;
  }
  return "no error";
}

describe("decodeAwslogsData", () => {
  it("decodes a DATA_MESSAGE into a batch, keeping ids, timestamps and messages", () => {
    const decoded = decodeAwslogsData(encodeAwslogsEvent(payload()).awslogs.data, MAX);

    expect(decoded).toEqual({
      kind: "data",
      batch: {
        owner: "123456789012",
        logGroup: "/ecs/payments-api",
        logStream: "ecs/app/0f6c2d9e",
        subscriptionFilters: ["netutil-detector"],
        logEvents: payload().logEvents,
      },
    });
  });

  it("acknowledges a CONTROL_MESSAGE", () => {
    const decoded = decodeAwslogsData(encodeAwslogsEvent(controlPayload("/ecs/x", "s")).awslogs.data, MAX);
    expect(decoded).toEqual({ kind: "control" });
  });

  it("tolerates policyLevel and unknown fields", () => {
    const decoded = decodeAwslogsData(
      data({ ...payload(), policyLevel: "ACCOUNT_LEVEL_POLICY", extra: 1 }),
      MAX,
    );
    expect(decoded.kind).toBe("data");
  });

  it("counts unusable log events without failing the batch", () => {
    const events = [payload().logEvents[0], 42, { id: "x", timestamp: 1, message: { nested: true } }, null];
    const decoded = decodeAwslogsData(data({ ...payload(), logEvents: events }), MAX);
    if (decoded.kind !== "data") throw new Error("expected data");
    expect(decoded.batch.logEvents).toHaveLength(1);
    expect(decoded.batch.dropped).toEqual([
      { index: 1, reason: "log event is not an object" },
      { index: 2, reason: "log event message is not a string" },
      { index: 3, reason: "log event is not an object" },
    ]);
  });

  it.each([
    ["missing data", undefined, "base64"],
    ["empty data", "", "base64"],
    ["not base64", "@@@not-base64@@@", "base64"],
    ["base64 of plain text", Buffer.from("hello").toString("base64"), "gzip"],
    ["gzip of non-JSON", gzipSync(Buffer.from("{nope")).toString("base64"), "json"],
    ["JSON array", data([1, 2]), "shape"],
    ["unknown messageType", data({ ...payload(), messageType: "OTHER" }), "shape"],
    ["logEvents not an array", data({ ...payload(), logEvents: {} }), "shape"],
    ["logGroup missing", data({ ...payload(), logGroup: undefined }), "shape"],
    [
      "truncated gzip",
      gzipSync(Buffer.from(JSON.stringify(payload())))
        .subarray(0, 20)
        .toString("base64"),
      "gzip",
    ],
  ])("rejects %s with a typed error naming the stage", (_name, input, stage) => {
    expect(stageOf(() => decodeAwslogsData(input, MAX))).toBe(stage);
  });

  it("decodes a payload of two gzip members, whose trailer declares only the last one's size", () => {
    const json = JSON.stringify(payload());
    const cut = json.length - 3;
    const gz = Buffer.concat([gzipSync(json.slice(0, cut)), gzipSync(json.slice(cut))]);
    const decoded = decodePayloadBuffer(gz, MAX);
    expect(decoded.kind === "data" && decoded.batch.logEvents.map((e) => e.message)).toEqual(["a", "b"]);
  });

  it("stops a gzip bomb at the bound instead of inflating it", () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(200_000);
    expect(stageOf(() => decodePayloadBuffer(bomb, MAX))).toBe("size");
  });

  it("handles a 1 MB log event", () => {
    const message = `{"process_exec":{"process":{"binary":"/usr/bin/curl","arguments":"${"A".repeat(1_048_000)}"}}}`;
    const decoded = decodeAwslogsData(
      data(payload({ logEvents: [{ id: "1", timestamp: 1, message }] })),
      MAX,
    );
    if (decoded.kind !== "data") throw new Error("expected data");
    expect(decoded.batch.logEvents[0]?.message.length).toBe(message.length);
  });

  it("never throws anything but DecodeError for arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (input) => {
        try {
          decodeAwslogsData(input, MAX);
        } catch (error) {
          return error instanceof DecodeError;
        }
        return true;
      }),
      { numRuns: 500 },
    );
  });

  it("never throws anything but DecodeError for arbitrary JSON gzipped", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
        try {
          decodeAwslogsData(data(value), MAX);
        } catch (error) {
          return error instanceof DecodeError;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it("never throws anything but DecodeError when the gzip bytes are corrupted", () => {
    const good = gzipSync(Buffer.from(JSON.stringify(payload())));
    fc.assert(
      fc.property(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const bad = Buffer.from(good);
        bad[at] = (bad[at] ?? 0) ^ xor;
        try {
          decodeAwslogsData(bad.toString("base64"), MAX);
        } catch (error) {
          return error instanceof DecodeError;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });

  describe("decodeBase64", () => {
    /** The character-level rule the decoder must keep: whitespace dropped, standard alphabet, <= 2 "=" at the end. */
    function reference(data: string): Buffer | "invalid" {
      const compact = data.replace(/\s+/g, "");
      if (compact.length === 0 || compact.length % 4 === 1 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
        return "invalid";
      }
      return Buffer.from(compact, "base64");
    }

    function attempt(data: string): Buffer | "invalid" {
      try {
        return decodeBase64(data, "awslogs.data");
      } catch (error) {
        expect(error).toBeInstanceOf(DecodeError);
        expect((error as DecodeError).stage).toBe("base64");
        expect((error as DecodeError).message).toBe("awslogs.data is not valid base64");
        return "invalid";
      }
    }

    it("accepts and rejects exactly what the character-level rule does, with the same bytes", () => {
      const alphabet = fc.constantFrom(..."ABCQRaz09+/=-_ \n\t@.é".split(""));
      const text = fc.oneof(
        fc.array(alphabet, { minLength: 1, maxLength: 24 }).map((chars) => chars.join("")),
        // Valid base64 with one character changed, dropped or added: the near misses.
        fc
          .tuple(fc.uint8Array({ maxLength: 18 }), fc.nat(), alphabet, fc.constantFrom("set", "drop", "add"))
          .map(([bytes, at, c, how]) => {
            const valid = Buffer.from(bytes).toString("base64");
            const i = valid.length === 0 ? 0 : at % valid.length;
            if (how === "set") return valid.slice(0, i) + c + valid.slice(i + 1);
            if (how === "drop") return valid.slice(0, i) + valid.slice(i + 1);
            return valid.slice(0, i) + c + valid.slice(i);
          }),
        fc.string({ maxLength: 24 }),
      );
      fc.assert(
        fc.property(text, (data) => {
          expect(attempt(data)).toEqual(reference(data));
        }),
        { numRuns: 5000 },
      );
    });

    it("decodes canonical, unpadded and line-wrapped text alike", () => {
      const bytes = gzipSync(Buffer.from(JSON.stringify(payload())));
      const canonical = bytes.toString("base64");
      const wrapped = canonical.replace(/.{1,76}/g, "$&\n");
      expect(decodeBase64(canonical, "awslogs.data")).toEqual(bytes);
      expect(decodeBase64(canonical.replace(/=+$/, ""), "awslogs.data")).toEqual(bytes);
      expect(decodeBase64(wrapped, "awslogs.data")).toEqual(bytes);
    });

    it.each([
      ["base64url characters", "QU-_"],
      ["an early padding character", "QU==QUJD"],
      ["three padding characters", "QUJD==="],
      ["a character outside the alphabet", "QUJD@UJD"],
      ["a length that no encoder writes", "QUJDR"],
    ])("rejects %s", (_name, data) => {
      expect(attempt(data)).toBe("invalid");
    });
  });

  describe("textOf", () => {
    it("reads any bytes exactly as the UTF-8 decoder does (ASCII, UTF-8, and bytes that are not UTF-8)", () => {
      const bytes = fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 64 }).map((b) => b.map((x) => x & 0x7f)),
        fc.string({ unit: "binary", maxLength: 32 }).map((text) => new Uint8Array(Buffer.from(text))),
      );
      fc.assert(
        fc.property(bytes, (array) => {
          const raw = Buffer.from(array);
          expect(textOf(raw)).toBe(raw.toString("utf8"));
        }),
        { numRuns: 2000 },
      );
    });

    it.each([
      ["the last ASCII byte", [0x41, 0x7f]],
      ["the first byte above ASCII", [0x41, 0x80]],
      ["a two-byte UTF-8 letter", [0xc3, 0xa9]],
      ["a lone continuation byte", [0x41, 0xbf, 0x42]],
      ["a truncated four-byte sequence", [0xf0, 0x9f, 0x98]],
    ])("decodes %s as UTF-8 would", (_name, array) => {
      const raw = Buffer.from(array);
      expect(textOf(raw)).toBe(raw.toString("utf8"));
    });

    it("reads ASCII payloads on both sides of the fast path's bound alike", () => {
      for (const size of [ASCII_FAST_PATH_BYTES, ASCII_FAST_PATH_BYTES + 1]) {
        const raw = Buffer.alloc(size, "a");
        raw[size - 1] = 0x7d;
        expect(textOf(raw)).toBe(raw.toString("utf8"));
      }
    });

    it("keeps a payload's non-ASCII message text through the whole decode", () => {
      const text = "curl https://exämple.test/ünïcode \u2028 😀";
      const decoded = decodePayloadBuffer(
        gzipSync(
          Buffer.from(JSON.stringify(payload({ logEvents: [{ id: "1", timestamp: 1, message: text }] }))),
        ),
        MAX,
      );
      expect(decoded.kind === "data" && decoded.batch.logEvents[0]?.message).toBe(text);
    });
  });

  describe("payloads above the text fast path (parsed in pieces)", () => {
    /** A payload just over ASCII_FAST_PATH_BYTES, with messages that hold quotes, commas, brackets and UTF-8. */
    function large(): AwslogsPayload {
      const logEvents = [];
      for (let i = 0; logEvents.length * 1100 < ASCII_FAST_PATH_BYTES + 200_000; i++) {
        logEvents.push({
          id: `3800000000000000000000000000000000000000000000${String(i).padStart(10, "0")}`,
          timestamp: 1_764_324_902_000 + i,
          message:
            `{"process_exec":{"process":{"binary":"/usr/bin/curl","arguments":"-d 'a,]}' \\"x\\" é ${i}"}}}`.padEnd(
              1000,
              " ",
            ),
        });
      }
      return payload({ logEvents });
    }

    it("decodes to exactly the events written", () => {
      const written = large();
      const decoded = decodePayloadBuffer(gzipSync(Buffer.from(JSON.stringify(written))), MAX);
      if (decoded.kind !== "data") throw new Error("expected data");
      expect(Buffer.byteLength(JSON.stringify(written))).toBeGreaterThan(ASCII_FAST_PATH_BYTES);
      const { logEvents, ...rest } = decoded.batch;
      const { logEvents: writtenEvents, messageType: _type, ...writtenRest } = written;
      expect(rest).toEqual(writtenRest);
      expect(logEvents).toEqual(writtenEvents);
    });

    it("rejects a broken one with the whole-text parse's error", () => {
      const text = JSON.stringify(large()).replace('"logEvents":[{', '"logEvents":[{,');
      const error = (() => {
        try {
          decodePayloadBuffer(gzipSync(Buffer.from(text)), MAX);
        } catch (e) {
          return e as DecodeError;
        }
      })();
      let expected = "";
      try {
        JSON.parse(text);
      } catch (e) {
        expected = (e as Error).message;
      }
      expect(error).toBeInstanceOf(DecodeError);
      expect(error?.message).toBe(`decompressed payload is not JSON: ${expected}`);
    });
  });
});
