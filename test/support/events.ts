import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ManifestEntry } from "../../src/cli/demo.js";
import { ROOT } from "./cli.js";

export const EVENTS_DIR = join(ROOT, "events");

/** The sample events' manifest (what each file shows and must produce). */
export function manifest(): ManifestEntry[] {
  return JSON.parse(readFileSync(join(EVENTS_DIR, "manifest.json"), "utf8")) as ManifestEntry[];
}

/** A sample Lambda event, freshly parsed (safe to mutate). */
export function sampleEvent(file: string): unknown {
  return JSON.parse(readFileSync(join(EVENTS_DIR, file), "utf8"));
}
