// Writes the Lambda deployment package: handler.js, its source map and the package.json that makes
// Lambda load it as ESM, at the zip root. Deterministic (fixed timestamps and modes, sorted entries,
// no extra fields) so the same build gives the same bytes and the same source_code_hash.
//
// Next to the zip it writes the release artifact, named by the version in the root package.json:
//   netutil-detector-<version>.zip              the same bytes as lambda.zip (what a release ships)
//   netutil-detector-<version>.zip.sha256       `sha256sum -c` format
//   netutil-detector-<version>.manifest.json    version, sha256 (hex and base64), size, files
//
//   node scripts/package.mjs [--dist dist] [--out dist/lambda.zip] [--version 0.1.0]
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { deflateRawSync } from "node:zlib";

// The package's file list, here and nowhere else: what Lambda needs, and what ships when present.
const REQUIRED = ["handler.js", "package.json"];
const OPTIONAL = ["handler.js.map"];
const ARTIFACT_NAME = "netutil-detector";
// npm's version grammar, without build metadata (a "+" has no place in an S3 key users type).
const VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
// 1980-01-01 00:00, the earliest MS-DOS timestamp: no clock or time zone leaks into the archive.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const UNIX_FILE_0644 = 0o100644;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buffer) {
  let crc = 0xffffffff;
  for (const byte of buffer) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Builds a zip archive (deflate, no zip64: Lambda's direct-upload limit is far below 4 GiB). */
export function zipEntries(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const { name, data } of [...entries].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  )) {
    const nameBytes = Buffer.from(name, "utf8");
    const compressed = deflateRawSync(data, { level: 9 });
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the external attributes carry the mode
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE((UNIX_FILE_0644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, compressed);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20);
  return Buffer.concat([...locals, directory, end]);
}

/**
 * Reads the build output in `distDir`, checks it is what Lambda needs, and writes the zip.
 * Throws an Error whose message says what to do when the build is missing or wrong.
 */
export function packageLambda(distDir, outFile) {
  for (const name of REQUIRED) {
    if (!existsSync(join(distDir, name))) {
      throw new Error(
        `${join(distDir, name)} is missing: run \`npm run build\` first (npm run package does both).`,
      );
    }
  }
  const manifest = JSON.parse(readFileSync(join(distDir, "package.json"), "utf8"));
  if (manifest.type !== "module") {
    throw new Error(
      `${join(distDir, "package.json")} must say {"type":"module"}, or Lambda loads handler.js as CommonJS.`,
    );
  }
  const names = [...REQUIRED, ...OPTIONAL.filter((name) => existsSync(join(distDir, name)))];
  const files = names.map((name) => ({ name, data: readFileSync(join(distDir, name)) }));
  const archive = zipEntries(files);
  writeFileSync(outFile, archive);
  return { outFile, archive, bytes: archive.length, entries: names.sort(), files };
}

/**
 * Writes the versioned release artifact of `packageLambda`'s result into `dir`: the zip under its
 * versioned name, its checksum file and a manifest. No clock or path in any of them, so they are as
 * reproducible as the zip. Returns the paths written.
 */
export function writeRelease(dir, version, { archive, files }) {
  if (!VERSION.test(version)) {
    throw new Error(`version "${version}" is not x.y.z[-pre]: fix "version" in package.json.`);
  }
  const zipName = `${ARTIFACT_NAME}-${version}.zip`;
  const digest = createHash("sha256").update(archive);
  const sha256 = digest.copy().digest("hex");
  const manifest = {
    name: ARTIFACT_NAME,
    version,
    file: zipName,
    sha256,
    // Terraform's source_code_hash and Lambda's CodeSha256 are the base64 form of the same digest.
    sha256Base64: digest.digest("base64"),
    size: archive.length,
    handler: "handler.handler",
    files: [...files]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map(({ name, data }) => ({
        name,
        size: data.length,
        sha256: createHash("sha256").update(data).digest("hex"),
      })),
  };
  const paths = {
    zip: join(dir, zipName),
    checksum: join(dir, `${zipName}.sha256`),
    manifest: join(dir, `${ARTIFACT_NAME}-${version}.manifest.json`),
  };
  writeFileSync(paths.zip, archive);
  writeFileSync(paths.checksum, `${sha256}  ${zipName}\n`);
  writeFileSync(paths.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  return paths;
}

function option(args, flag, fallback) {
  const index = args.indexOf(flag);
  return index >= 0 && args[index + 1] ? args[index + 1] : fallback;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const distDir = resolve(option(args, "--dist", "dist"));
  const outFile = resolve(option(args, "--out", join(distDir, "lambda.zip")));
  try {
    const version =
      option(args, "--version", undefined) ??
      JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;
    const built = packageLambda(distDir, outFile);
    const release = writeRelease(dirname(outFile), String(version), built);
    console.log(`${outFile}: ${built.entries.join(", ")} (${built.bytes} bytes)`);
    console.log(
      `${release.zip}: the same bytes; ${basename(release.checksum)}, ${basename(release.manifest)}`,
    );
  } catch (error) {
    console.error(`package: ${error.message}`);
    process.exit(1);
  }
}
