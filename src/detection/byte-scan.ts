/**
 * The prefilter's first pass over an ASCII message, as a WebAssembly loop over its bytes: it reports
 * the positions where one of the prefilter's expressions could start to match, and the expressions are
 * then tried at those positions only (src/detection/prefilter.ts). V8 runs the expressions at 1.3-2 ns
 * a character over text that matches nothing, and a JavaScript loop over `charCodeAt` at about 3; this
 * loop runs at a fraction of that, so most messages are rejected after one copy and one call.
 *
 * What it reports is a superset, never a subset, of where a match can start, which is all soundness
 * asks of it (test/detection/prefilter-scan.test.ts holds the prefilter's answers equal to the
 * expressions' own on generated texts, the message fixtures and the sample events):
 * - every backslash (the JSON-escape expression starts at one);
 * - every boundary character (the `[…]` every other expression starts with) followed by three
 *   characters that begin one of the {@link Alternative} texts. Alternatives of four or more characters
 *   are checked further on a hashed table of the boundary character and the next four or five, so
 *   that `"exec_id"` is not taken for the socat address `exec:` nor `clone` for `cloudflared`. A
 *   hash collision only reports one position more.
 *
 * The module is assembled here from its opcodes (no toolchain, nothing generated to commit); its text
 * form is in the comment of {@link scanBody}. Without WebAssembly (`--jitless`), or for a text that is
 * not ASCII or is longer than {@link MAX_TEXT}, the caller runs the expressions over the whole text.
 */

/** A text a match may begin with right after a boundary character, and the boundary characters it may follow. */
export interface Alternative {
  text: string;
  /** Character codes of the boundary characters it may follow; every boundary character when absent. */
  after?: readonly number[];
}

// Memory layout (bytes). The tables are bitmaps: NOW and FURTHER indexed by three characters (2 MiB
// each, of which only the pages holding an entry are ever written), HASHED and TWO by 16 bits (8 KiB).
const NOW = 0; // 3-character prefix: report the position
const FURTHER = 0x200000; // 3-character prefix: look the position up in HASHED
const HASHED = 0x400000; // 16-bit hash of the boundary character and the next four, or five (see FOUR)
// 2-character prefix, read first, so that most boundary characters cost no access outside the
// processor's first-level cache (the 3-character tables are read only on a hit here).
const TWO = 0x402000;
const BOUNDARY = 0x404000; // 256 bytes: 1 for a boundary character
const TEXT = 0x405000;
/** Longest text scanned: three times it (the most UTF-8 bytes a UTF-16 unit writes) fits the text area. */
export const MAX_TEXT = 0x55000;
const TEXT_BYTES = 3 * MAX_TEXT + 16;
const PAGES = Math.ceil((TEXT + TEXT_BYTES) / 0x10000);
const BACKSLASH = 92;

/**
 * The fifth character's place in the hash of a four-character alternative: no ASCII text has it, so
 * such an entry answers only the lookup made for four characters.
 */
const FOUR = 0x80;
/** Multipliers of the hash below, as the 32-bit integers both sides multiply by. */
const MUL_A = 0x9e3779b1 | 0;
const MUL_B = 0x85ebca77 | 0;

/** The hash the loop computes: bytes 1-4 after the boundary character, and the character with byte 5 (or FOUR). */
function hashOf(boundary: number, b1: number, b2: number, b3: number, b4: number, b5: number): number {
  const x = (b1 << 16) | (b2 << 8) | b3 | (b4 << 24);
  const y = boundary | (b5 << 8);
  return (Math.imul(x, MUL_A) ^ Math.imul(y, MUL_B)) >>> 16;
}

// --- the WebAssembly module, from its opcodes ---------------------------------------------------

const I32 = 0x7f;
const op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  localGet: 0x20,
  localSet: 0x21,
  load8u: 0x2d,
  const: 0x41,
  eq: 0x46,
  geU: 0x4f,
  add: 0x6a,
  sub: 0x6b,
  mul: 0x6c,
  and: 0x71,
  or: 0x72,
  xor: 0x73,
  shl: 0x74,
  shrU: 0x76,
  void: 0x40,
} as const;

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

// Locals: 0 from, 1 end (parameters), 2 p, 3 c, 4 k, 5 h (k also holds the 2-character prefix first).
const [FROM, END, P, C, K, H] = [0, 1, 2, 3, 4, 5];
const get = (local: number) => [op.localGet, local];
const set = (local: number) => [op.localSet, local];
const i32 = (value: number) => [op.const, ...sleb(value)];
/** `i32.load8_u offset=…` of the address on the stack. */
const load8 = (offset: number) => [op.load8u, 0, ...uleb(offset)];
/** Leaves the bit `key` of the bitmap at `table` on the stack (the key is in a local). */
const bit = (table: number, key: number) => [
  ...get(key),
  ...i32(3),
  op.shrU,
  ...load8(table),
  ...get(key),
  ...i32(7),
  op.and,
  op.shrU,
  ...i32(1),
  op.and,
];
const found = [...get(P), ...i32(TEXT), op.sub, op.return];

/**
 * ```wat
 * (func (export "scan") (param $from i32) (param $end i32) (result i32)
 *   (local $p i32) (local $c i32) (local $k i32) (local $h i32)
 *   p = from + TEXT; end = end + TEXT
 *   (block $done (loop $next
 *     (br_if $done (p >= end))
 *     c = load8_u(p)
 *     (if (load8_u offset=BOUNDARY c) (then
 *       (if (c == '\\') (then (return p - TEXT)))
 *       k = load8_u(p+1) << 8 | load8_u(p+2)
 *       (if (bit TWO k) (then
 *         k = k << 8 | load8_u(p+3)
 *         (if (bit NOW k) (then (return p - TEXT)))
 *         (if (bit FURTHER k) (then
 *           (if (bit HASHED hash(c, p+1 .. p+4, FOUR)) (then (return p - TEXT)))
 *           (if (bit HASHED hash(c, p+1 .. p+5)) (then (return p - TEXT)))))))))
 *     p = p + 1
 *     (br $next)))
 *   -1)
 * ```
 * The caller writes zeros after the text, so reading up to p+5 past its last byte reads zeros.
 */
function scanBody(): number[] {
  return [
    ...get(FROM),
    ...i32(TEXT),
    op.add,
    ...set(P),
    ...get(END),
    ...i32(TEXT),
    op.add,
    ...set(END),
    op.block,
    op.void,
    op.loop,
    op.void,
    ...get(P),
    ...get(END),
    op.geU,
    op.brIf,
    1,
    ...get(P),
    ...load8(0),
    ...set(C),
    ...get(C),
    ...load8(BOUNDARY),
    op.if,
    op.void,
    ...get(C),
    ...i32(BACKSLASH),
    op.eq,
    op.if,
    op.void,
    ...found,
    op.end,
    // k = load8_u(p+1) << 8 | load8_u(p+2); nothing more to look at unless TWO has it
    ...get(P),
    ...load8(1),
    ...i32(8),
    op.shl,
    ...get(P),
    ...load8(2),
    op.or,
    ...set(K),
    ...bit(TWO, K),
    op.if,
    op.void,
    ...get(K),
    ...i32(8),
    op.shl,
    ...get(P),
    ...load8(3),
    op.or,
    ...set(K),
    ...bit(NOW, K),
    op.if,
    op.void,
    ...found,
    op.end,
    ...bit(FURTHER, K),
    op.if,
    op.void,
    // h = (k | load8_u(p+4) << 24) * A; then k = (h ^ (c | b5 << 8) * B) >>> 16, with b5 = FOUR for the
    // four-character alternatives, then b5 = load8_u(p+5) for the longer ones
    ...get(K),
    ...get(P),
    ...load8(4),
    ...i32(24),
    op.shl,
    op.or,
    ...i32(MUL_A),
    op.mul,
    ...set(H),
    ...get(H),
    ...get(C),
    ...i32(FOUR << 8),
    op.or,
    ...i32(MUL_B),
    op.mul,
    op.xor,
    ...i32(16),
    op.shrU,
    ...set(K),
    ...bit(HASHED, K),
    op.if,
    op.void,
    ...found,
    op.end,
    ...get(H),
    ...get(C),
    ...get(P),
    ...load8(5),
    ...i32(8),
    op.shl,
    op.or,
    ...i32(MUL_B),
    op.mul,
    op.xor,
    ...i32(16),
    op.shrU,
    ...set(K),
    ...bit(HASHED, K),
    op.if,
    op.void,
    ...found,
    op.end,
    op.end,
    op.end,
    op.end,
    ...get(P),
    ...i32(1),
    op.add,
    ...set(P),
    op.br,
    0,
    op.end,
    op.end,
    ...i32(-1),
    op.end,
  ];
}

function section(id: number, contents: number[]): number[] {
  return [id, ...uleb(contents.length), ...contents];
}

function name(text: string): number[] {
  return [...uleb(text.length), ...[...text].map((c) => c.charCodeAt(0))];
}

function moduleBytes(): Uint8Array {
  const body = [1, 4, I32, ...scanBody()]; // one run of 4 i32 locals
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 2, I32, I32, 1, I32]), // type: (i32, i32) -> i32
    ...section(3, [1, 0]), // one function of type 0
    ...section(5, [1, 0x00, ...uleb(PAGES)]), // one memory, PAGES pages, no maximum
    ...section(7, [2, ...name("memory"), 0x02, 0, ...name("scan"), 0x00, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

/** The part of the WebAssembly API used here (the project's types do not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

// --- the scanner --------------------------------------------------------------------------------

/** Positions in an ASCII text where a match may start (see the module comment). */
export class ByteScanner {
  private readonly scan: (from: number, end: number) => number;
  private readonly bytes: Uint8Array;
  private readonly text: Buffer;
  private length = 0;

  /** `boundary`: whether a character code is a boundary character; `alternatives`: what may follow one. */
  constructor(boundary: (code: number) => boolean, alternatives: readonly Alternative[]) {
    const wasm = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
    if (wasm === undefined) throw new Error("byte-scan: no WebAssembly here");
    const { scan, memory } = new wasm.Instance(new wasm.Module(moduleBytes())).exports as {
      scan: (from: number, end: number) => number;
      memory: { buffer: ArrayBuffer };
    };
    this.scan = scan;
    this.bytes = new Uint8Array(memory.buffer);
    this.text = Buffer.from(memory.buffer, TEXT, TEXT_BYTES);
    const boundaries: number[] = [];
    for (let code = 0; code < 128; code++) {
      // A backslash is reported wherever it is (JSON escapes start there), boundary or not.
      if (code === BACKSLASH) this.bytes[BOUNDARY + code] = 1;
      if (boundary(code)) {
        this.bytes[BOUNDARY + code] = 1;
        boundaries.push(code);
      }
    }
    for (const alternative of alternatives) this.add(alternative, alternative.after ?? boundaries);
  }

  /**
   * Puts `text` in the scanner's memory when it is ASCII and short enough; false otherwise, and then
   * the scanner cannot speak for it.
   */
  load(text: string): boolean {
    if (text.length > MAX_TEXT) return false;
    // Every UTF-16 unit writes at least one byte, and only ASCII exactly one: a full write (the area
    // holds three bytes a unit) of as many bytes as units is an ASCII text.
    const written = this.text.write(text, 0, "utf8");
    if (written !== text.length) return false;
    // The loop reads up to five bytes past the last one: zeros (stores, cheaper here than a fill call).
    const end = TEXT + written;
    const bytes = this.bytes;
    bytes[end] = 0;
    bytes[end + 1] = 0;
    bytes[end + 2] = 0;
    bytes[end + 3] = 0;
    bytes[end + 4] = 0;
    bytes[end + 5] = 0;
    this.length = written;
    return true;
  }

  /** The first position at or after `from` of the loaded text where a match may start, or -1. */
  next(from: number): number {
    return from >= this.length ? -1 : this.scan(from, this.length);
  }

  private add(alternative: Alternative, after: readonly number[]): void {
    const codes = [...alternative.text].map((c) => c.charCodeAt(0));
    if (codes.length === 0 || codes.some((c) => c > 127)) {
      throw new Error(`byte-scan: alternative ${JSON.stringify(alternative.text)} is not ASCII`);
    }
    const [b1, b2, b3, b4, b5] = codes as [number, number?, number?, number?, number?];
    if (b2 === undefined) {
      // Every key that starts with b1: whole bytes of the bitmaps (256 bits of TWO, 65,536 of NOW).
      this.bytes.fill(0xff, TWO + (b1 << 5), TWO + ((b1 + 1) << 5));
      this.bytes.fill(0xff, NOW + (b1 << 13), NOW + ((b1 + 1) << 13));
      return;
    }
    this.mark(TWO, (b1 << 8) | b2);
    if (b3 === undefined) {
      // Every key that starts with b1 b2: 256 bits, 32 whole bytes of NOW.
      const start = NOW + (((b1 << 16) | (b2 << 8)) >>> 3);
      this.bytes.fill(0xff, start, start + 32);
    } else if (b4 === undefined) {
      this.mark(NOW, (b1 << 16) | (b2 << 8) | b3);
    } else {
      this.mark(FURTHER, (b1 << 16) | (b2 << 8) | b3);
      for (const boundary of after) this.mark(HASHED, hashOf(boundary, b1, b2, b3, b4, b5 ?? FOUR));
    }
  }

  private mark(table: number, key: number): void {
    const at = table + (key >>> 3);
    this.bytes[at] = (this.bytes[at] as number) | (1 << (key & 7));
  }
}
