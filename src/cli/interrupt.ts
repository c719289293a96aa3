/**
 * Ctrl-C for the long-running commands (hunt, coverage): they stop where they are and say how to go
 * on, instead of dying mid-page.
 */

/**
 * Runs `work` with a signal that aborts on SIGINT, or, when `external` is given (tests, a caller that
 * stops the command itself), when that one aborts; the listener is removed once `work` settles.
 */
export async function withInterrupt<T>(
  external: AbortSignal | undefined,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  if (external?.aborted) controller.abort();
  if (external) external.addEventListener("abort", abort, { once: true });
  else process.once("SIGINT", abort);
  try {
    return await work(controller.signal);
  } finally {
    if (external) external.removeEventListener("abort", abort);
    else process.removeListener("SIGINT", abort);
  }
}
