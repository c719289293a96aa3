/**
 * `hunt`: runs the detection rule over CloudWatch Logs history with the Lambda's own pipeline. This
 * file wires the command (flags, configuration, Ctrl-C); the hunt itself is in run.ts.
 */
import type { Config } from "../../config.js";
import { ConfigError, UsageError } from "../../errors.js";
import { withInterrupt } from "../interrupt.js";
import { cliConfig } from "../invoke.js";
import type { CliIO } from "../io.js";
import { HUNT_HELP, parseHuntArgs } from "./args.js";
import { type HuntDeps, hunt } from "./run.js";

export type { HuntDeps } from "./run.js";

/**
 * `hunt`: runs the rule over CloudWatch Logs history. Exit status per {@link HUNT_HELP}.
 * `deps` lets tests inject clients, an interrupt signal and a fast retry policy.
 */
export async function runHunt(argv: string[], io: CliIO, deps: HuntDeps = {}): Promise<number> {
  const parsed = parseHuntArgs(argv, io.now());
  if (!parsed) {
    io.stderr(HUNT_HELP);
    return 0;
  }
  const { plan, flags } = parsed;
  let config: Readonly<Config>;
  try {
    config = cliConfig(io.env, plan.minSeverity);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  if (flags.publish && !config.snsTopicArn) {
    throw new UsageError(
      "--publish needs SNS_TOPIC_ARN (the topic that receives signals) in the environment",
    );
  }

  return await withInterrupt(deps.interrupt, (signal) =>
    hunt({ ...plan, minSeverity: config.minSeverity }, flags, config, io, deps, signal),
  );
}
