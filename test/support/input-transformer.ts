/**
 * EventBridge's input transformer, as "Amazon EventBridge input transformation" and the
 * InputTransformer API reference describe it, for the placeholders our templates use: each
 * InputPathsMap entry is a JSON path (dot notation, array indices) into the event; in a JSON
 * template a placeholder outside quotes becomes the value as JSON (a string with its quotes, an
 * object as is). Placeholders inside quoted strings and as keys are not used by our templates and
 * are refused here, so a template that starts to rely on them fails this test first.
 */
export function jsonPath(event: unknown, path: string): unknown {
  if (!path.startsWith("$")) throw new Error(`not a JSON path: ${path}`);
  let value: unknown = event;
  for (const part of path
    .slice(1)
    .split(/\.|(?=\[)/)
    .filter(Boolean)) {
    const index = /^\[(\d+)\]$/.exec(part);
    if (value === null || typeof value !== "object") return undefined;
    value = index ? (value as unknown[])[Number(index[1])] : (value as Record<string, unknown>)[part];
  }
  return value;
}

export function applyInputTransformer(
  event: unknown,
  inputPaths: Record<string, string>,
  template: string,
): string {
  if (Object.keys(inputPaths).length > 100) throw new Error("more than 100 input paths");
  let inString = false;
  let out = "";
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    if (c === '"' && template[i - 1] !== "\\") inString = !inString;
    const match = c === "<" ? /^<([A-Za-z0-9_.-]+)>/.exec(template.slice(i)) : null;
    if (!match) {
      out += c;
      continue;
    }
    const name = match[1] as string;
    if (inString) throw new Error(`placeholder <${name}> inside a quoted string`);
    if (!(name in inputPaths)) throw new Error(`placeholder <${name}> has no input path`);
    const value = jsonPath(event, inputPaths[name] as string);
    if (value === undefined) throw new Error(`input path ${inputPaths[name]} is missing from the event`);
    out += JSON.stringify(value);
    i += match[0].length - 1;
  }
  return out;
}
