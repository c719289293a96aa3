import { pathToFileURL } from "node:url";
import { ROOT } from "./cli.js";
import type { Moto } from "./moto.js";

/** The built Lambda entry point, with the remaining-time clock Lambda's context gives. */
export type BundledHandler = (
  event: unknown,
  context?: { getRemainingTimeInMillis(): number },
) => Promise<Record<string, unknown>>;

/** Quiet and offline: no metrics flush, no logs, no SDK warning about the Node.js version. */
const QUIET = {
  POWERTOOLS_METRICS_DISABLED: "true",
  POWERTOOLS_LOG_LEVEL: "SILENT",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
};

/**
 * dist/handler.js (run `npm run build` first), configured as a deployment is: through the
 * environment, here moto's endpoint and credentials, quiet, plus `env`. The bundle reads its
 * configuration once at import, so each test file loads it once, after setting what it needs.
 */
export async function loadBundledHandler(moto: Moto, env: Record<string, string>): Promise<BundledHandler> {
  Object.assign(process.env, moto.env, QUIET, env);
  const bundle = (await import(pathToFileURL(`${ROOT}/dist/handler.js`).href)) as { handler: BundledHandler };
  return bundle.handler;
}
