import { parseArgs } from "node:util";
import { loadConfig } from "../config.js";
import { ConfigError, UsageError } from "../errors.js";
import type { CliIO } from "./io.js";

export const CONFIG_HELP = `Usage: node dist/cli.js config [--lambda]

Validates the configuration exactly as the function reads it at cold start (environment
variables and the allowlist bundled at build time) and prints the resolved values as JSON.
--lambda also requires SNS_TOPIC_ARN, as the deployed handler does. Exit status 0 when valid,
2 with a message naming the variable otherwise. The build runs it on the bundled allowlist.
`;

/** `config`: check a configuration before deploying it. */
export async function runConfig(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      lambda: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    io.stderr(CONFIG_HELP);
    return 0;
  }
  try {
    const config = loadConfig(io.env, { requireTopic: values.lambda });
    io.stdout(
      JSON.stringify({
        snsTopicArn: config.snsTopicArn ?? null,
        minSeverity: config.minSeverity,
        pagerTopicArn: config.pagerTopicArn ?? null,
        pagerMinSeverity: config.pagerMinSeverity,
        allowlistEntries: config.allowlist.size,
        dedupTtlSeconds: config.dedupTtlSeconds,
        maxDecodedBytes: config.maxDecodedBytes,
        region: config.region ?? null,
        channelFamilies: [...config.channels],
      }),
    );
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`${error.variable}: ${error.message}`);
    throw error;
  }
}
