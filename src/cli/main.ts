import { UsageError } from "../errors.js";
import { runConfig } from "./config-command.js";
import { runEncode } from "./encode.js";
import { runInvoke } from "./invoke.js";
import { type CliIO, processIO } from "./io.js";

export const MAIN_HELP = `Usage: node dist/cli.js <command> [options]

Commands:
  invoke FILE...   run the Lambda pipeline on Lambda event files (dry run unless SNS_TOPIC_ARN is set)
  demo             dry-run every sample event in events/ and show what the detector says
                   (--sink chat|securityhub|eventbridge: what that sink would receive)
  encode [FILE]    wrap log lines into a CloudWatch Logs subscription Lambda event
  hunt             run the rule over CloudWatch Logs history (FilterLogEvents)
  coverage         list container log groups and whether the detector watches them
  config           validate the configuration (environment + bundled allowlist) and print it

Run a command with --help for its options. Signals are JSON lines on stdout; everything else
goes to stderr.
`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Dispatches a command line; returns the exit status. Usage errors print and exit 2. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "invoke":
        return await runInvoke(rest, io);
      // Loaded on demand: demo brings the sinks' payload builders (and their SDKs), hunt and coverage
      // the CloudWatch Logs SDK, none of which invoke needs.
      case "demo":
        return await (await import("./demo.js")).runDemo(rest, io);
      case "encode":
        return await runEncode(rest, io, readStdin);
      case "hunt":
        return await (await import("./hunt/index.js")).runHunt(rest, io);
      case "coverage":
        return await (await import("./coverage.js")).runCoverage(rest, io);
      case "config":
        return await runConfig(rest, io);
      case undefined:
      case "help":
      case "-h":
      case "--help":
        io.stderr(MAIN_HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    // parseArgs throws TypeErrors with codes like ERR_PARSE_ARGS_UNKNOWN_OPTION for bad flags.
    const code = (error as { code?: string }).code;
    if (error instanceof UsageError || code?.startsWith("ERR_PARSE_ARGS")) {
      io.stderr(`error: ${(error as Error).message}\nRun with --help for usage.\n`);
      return 2;
    }
    io.stderr(`error: ${(error as Error).name}: ${(error as Error).message}\n`);
    return 1;
  }
}

/** Entry when run as dist/cli.js. */
export async function run(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2), processIO);
}
