/**
 * What the sinks build payloads from: the signal as rendered for SNS machine subscribers (redacted
 * again by redactSignal, workload routing fields included; evidence bounded to `budget` bytes).
 */
import type { Signal } from "../model.js";
import { truncateText } from "../signals/redact.js";
import { renderJson } from "../signals/render.js";

/** The redacted, bounded signal object. */
export function renderedSignal(signal: Signal, budget: number): Signal {
  return JSON.parse(renderJson(signal, budget)) as Signal;
}

/** At most `max` characters, a cut marked as such. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = truncateText(text, Math.max(1, max - 32));
  return cut.length <= max ? cut : cut.slice(0, max);
}
