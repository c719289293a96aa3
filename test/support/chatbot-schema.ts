import type { ChatNotification } from "../../src/sinks/chat.js";

/**
 * The custom-notification event schema of "Custom notifications using Amazon Q Developer in chat
 * applications" (AWS Chatbot admin guide): version and source "custom" and content.description are
 * required; the rest typed as documented.
 */
export function chatbotSchemaErrors(value: unknown): string[] {
  const errors: string[] = [];
  const n = value as Partial<ChatNotification> & Record<string, unknown>;
  const isString = (v: unknown) => typeof v === "string";
  const isStrings = (v: unknown) => Array.isArray(v) && v.every(isString);
  if (n.version !== "1.0") errors.push("version must be 1.0");
  if (n.source !== "custom") errors.push('source must be "custom"');
  if (n.id !== undefined && !isString(n.id)) errors.push("id must be a string");
  const c = n.content;
  if (!c || typeof c !== "object") return [...errors, "content is required"];
  if (!isString(c.description) || c.description === "") errors.push("content.description is required");
  if (c.textType !== undefined && c.textType !== "client-markdown") errors.push("content.textType");
  if (c.title !== undefined && !isString(c.title)) errors.push("content.title");
  if (c.nextSteps !== undefined && !isStrings(c.nextSteps)) errors.push("content.nextSteps");
  if (c.keywords !== undefined && !isStrings(c.keywords)) errors.push("content.keywords");
  const m = n.metadata;
  if (m !== undefined) {
    for (const key of ["threadId", "summary", "eventType"] as const)
      if (m[key] !== undefined && !isString(m[key])) errors.push(`metadata.${key}`);
    if (m.relatedResources !== undefined && !isStrings(m.relatedResources))
      errors.push("metadata.relatedResources");
    if (m.additionalContext !== undefined && !Object.values(m.additionalContext).every(isString))
      errors.push("metadata.additionalContext");
  }
  return errors;
}
