// Runs the built Lambda bundle over sample events, as one Lambda instance would, for tests that
// need several instances at once. argv: <start at, epoch ms> <event file>... The environment
// configures the handler. Prints one line `RESULT <json>` with the handler's answers.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [startAt, ...files] = process.argv.slice(2);
const root = resolve(new URL("../..", import.meta.url).pathname);
const { handler } = await import(pathToFileURL(`${root}/dist/handler.js`).href);
const events = files.map((file) => JSON.parse(readFileSync(file, "utf8")));
// Both instances are loaded and waiting: they start their invocations at the same moment.
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
const answers = [];
for (const event of events) answers.push(await handler(event));
process.stdout.write(`\nRESULT ${JSON.stringify(answers)}\n`);
