/** The process boundary of the CLI: tests pass their own, commands never touch `process` directly. */
export interface CliIO {
  /** One line of data (a JSON signal), newline added. */
  stdout(line: string): void;
  /** Diagnostics, progress and summaries; written as given (add your own newlines). */
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  stderrIsTTY: boolean;
  /** The terminal's width in columns when stderr is one (read at each draw: terminals resize). */
  stderrColumns?(): number | undefined;
  now(): number;
}

export const processIO: CliIO = {
  stdout: (line) => {
    process.stdout.write(`${line}\n`);
  },
  stderr: (text) => {
    process.stderr.write(text);
  },
  env: process.env,
  stderrIsTTY: Boolean(process.stderr.isTTY),
  stderrColumns: () => (process.stderr.isTTY ? process.stderr.columns : undefined),
  now: () => Date.now(),
};
