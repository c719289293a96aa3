// The progress line in a real terminal: `node dist/cli.js hunt` runs inside tmux (a terminal emulator
// with a fixed size) against moto_server, over a log group whose name is longer than the terminal is
// wide. Before the line was fitted to the width it wrapped, and each `\r` redraw returned only to the
// start of its last row, leaving the rows above as stale copies on screen.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT } from "../support/cli.js";
import { type Moto, motoClientConfig, startMoto } from "../support/moto.js";

const GROUP = "/aws/containerinsights/production-payments-cluster-eu-west-1/application";
const SOCKET = `netutil-progress-${process.pid}`;

function tmux(...args: string[]): string {
  return execFileSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8" });
}

/** Runs the hunt in a detached tmux session `columns` wide and returns the screen when it has ended. */
async function huntOnScreen(moto: Moto, columns: number): Promise<{ screen: string[]; draws: number }> {
  const dir = mkdtempSync(join(tmpdir(), "netutil-tty-"));
  const done = join(dir, "done");
  const script = join(dir, "run.sh");
  const env = Object.entries(moto.env)
    .map(([k, v]) => `export ${k}='${v}'`)
    .join("\n");
  // stdout (signals) goes to a file: only stderr, where progress is drawn, is the terminal.
  writeFileSync(
    script,
    `${env}\ncd '${ROOT}'\n'${process.execPath}' '${CLI}' hunt --log-group '${GROUP}' --since 2h ` +
      `>'${join(dir, "out")}'\necho $? >'${done}'\nsleep 600\n`,
  );
  const session = `w${columns}`;
  try {
    const raw = join(dir, "raw");
    // The session starts waiting for the go file, so pipe-pane records the terminal from the first byte.
    tmux(
      "new-session",
      "-d",
      "-s",
      session,
      "-x",
      String(columns),
      "-y",
      "30",
      `while [ ! -e '${dir}/go' ]; do sleep 0.05; done; sh '${script}'`,
    );
    tmux("pipe-pane", "-t", session, `cat >'${raw}'`);
    writeFileSync(join(dir, "go"), "");
    const deadline = Date.now() + 60_000;
    while (!existsSync(done) || readFileSync(done, "utf8").trim() === "") {
      if (Date.now() > deadline) throw new Error(`hunt did not finish in tmux:\n${capture(session)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(readFileSync(done, "utf8").trim()).toBe("0");
    const draws = (readFileSync(raw, "utf8").match(/\r[^\r\n]* events · /g) ?? []).length;
    return { screen: capture(session).split("\n"), draws };
  } finally {
    spawnSync("tmux", ["-L", SOCKET, "kill-session", "-t", session]);
    rmSync(dir, { recursive: true, force: true });
  }
}

function capture(session: string): string {
  return tmux("capture-pane", "-p", "-t", session);
}

describe("the progress line in a terminal (tmux)", () => {
  let moto: Moto;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error("dist/cli.js is missing: run `npm run build` (npm test does it)");
    moto = await startMoto();
    const logs = new CloudWatchLogsClient(motoClientConfig(moto));
    await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    const now = Date.now();
    // Enough pages that the hunt redraws its line several times before it ends.
    for (let stream = 0; stream < 6; stream++) {
      const logStreamName = `ecs/app/${stream}`;
      await logs.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName }));
      for (let part = 0; part < 2; part++) {
        const logEvents = Array.from({ length: 5000 }, (_, i) => ({
          timestamp: now - 60_000 + part * 5000 + i,
          message: `GET /health 200 ${stream}-${part}-${i}`,
        }));
        await logs.send(new PutLogEventsCommand({ logGroupName: GROUP, logStreamName, logEvents }));
      }
    }
  }, 60_000);

  afterAll(async () => {
    spawnSync("tmux", ["-L", SOCKET, "kill-server"]);
    await moto?.stop();
  });

  for (const columns of [40, 80]) {
    it(`keeps the line on one row at ${columns} columns, with nothing stale above it`, async () => {
      const { screen, draws } = await huntOnScreen(moto, columns);
      const text = screen.join("\n");
      expect(draws, text).toBeGreaterThan(1);

      const progressRows = screen.filter((row) => / events · .* ev\/s · /.test(row));
      expect(progressRows, text).toHaveLength(1);
      const row = progressRows[0] ?? "";
      expect(Array.from(row).length).toBeLessThan(columns);
      expect(row, text).toContain("60,000 events");
      // No fragment of the group name (a wrapped or stale copy) is left on any other row.
      const fragments = screen.filter((r) => r !== row && r.includes("production-payments"));
      expect(fragments, text).toEqual(screen.filter((r) => r !== row && r.includes(GROUP)));
      if (columns === 80) expect(row).toMatch(/^group 1\/1 .*…\S*ication · /);
    }, 90_000);
  }
});
