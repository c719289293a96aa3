/**
 * Typed errors. Each has a stable `name` and keeps its `cause`. Only errors that must make Lambda
 * retry (an undecodable envelope, a failed publish, bad configuration) are ever thrown out of the
 * handler; per-record problems are counted, never thrown.
 */

/** The Lambda payload itself cannot be decoded: bad base64, gzip, JSON, shape, or over the size bound. */
export class DecodeError extends Error {
  override readonly name = "DecodeError";
  constructor(
    message: string,
    /** Which step failed: "base64" | "gzip" | "size" | "json" | "shape" | "event". */
    readonly stage: "base64" | "gzip" | "size" | "json" | "shape" | "event",
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A configuration value is missing or invalid; the message names the environment variable. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    message: string,
    readonly variable: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Some signals could not be delivered to SNS after all retries. */
export class PublishError extends Error {
  override readonly name = "PublishError";
  constructor(
    message: string,
    /** How many signals were not delivered. */
    readonly undelivered: number,
    /** Ids of the signals that were not delivered. */
    readonly signalIds: string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An allowlist entry is malformed; the message says which entry and field. */
export class AllowlistError extends Error {
  override readonly name = "AllowlistError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A command-line usage error; the CLI prints the message and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
