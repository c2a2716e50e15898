/**
 * The files of `handshake ca` in `--out`: which exist, whether the CA there
 * can be reused, what may be replaced, and writing new ones so that a key is
 * never readable by others, not even for a moment, and no file is left
 * half-written.
 *
 * @module
 */

import { readTextFile, UsageError } from "./common.ts";
import { certificateInfo, type Issued, IssuerError, loadIssuer } from "../lib/x509/issue.ts";

/** Paths of the files a run may write. */
export interface CaFiles {
  dir: string;
  ca: string;
  caKey: string;
  server: string;
  serverKey: string;
  intermediate: string;
  intermediateKey: string;
  client: string;
  clientKey: string;
}

/** The paths of the files `handshake ca` may write in `dir`. */
export function caFiles(dir: string): CaFiles {
  const path = (name: string) => `${dir}/${name}`;
  return {
    dir,
    ca: path("ca.pem"),
    caKey: path("ca-key.pem"),
    server: path("server.pem"),
    serverKey: path("server-key.pem"),
    intermediate: path("intermediate.pem"),
    intermediateKey: path("intermediate-key.pem"),
    client: path("client.pem"),
    clientKey: path("client-key.pem"),
  };
}

/** What `--out` already holds that matters to this run. */
export interface OutState {
  /** The CA to reuse, when there is one and --new-ca was not given. */
  ca?: Issued;
  /** Whether a CA is there and --new-ca replaces it. */
  replacedCa: boolean;
}

/**
 * Looks at `--out` before any key is generated: loads a CA to reuse (or
 * refuses a broken one) and makes sure the directory exists and can be
 * written. Which leaves may be replaced is the caller's decision.
 */
export async function inspectOut(
  files: CaFiles,
  req: { newCa: boolean; intermediate: boolean },
): Promise<OutState> {
  const dir = await stat(files.dir);
  if (dir && !dir.isDirectory) {
    throw new UsageError(`--out ${files.dir} is a file, not a directory`, "choose another --out");
  }
  const hasCa = await exists(files.ca), hasKey = await exists(files.caKey);
  const state: OutState = { replacedCa: req.newCa && (hasCa || hasKey) };
  if (!req.newCa && (hasCa || hasKey)) {
    if (!hasKey || !hasCa) {
      const [present, missing] = hasCa ? [files.ca, files.caKey] : [files.caKey, files.ca];
      throw new UsageError(
        `${present} exists but ${missing} does not`,
        "restore the missing file, or pass --new-ca to replace the CA",
      );
    }
    state.ca = await loadCa(files, req.intermediate);
  }
  await ensureWritable(files.dir);
  return state;
}

/** Those of `paths` that exist. */
export async function existing(paths: string[]): Promise<string[]> {
  const found = [];
  for (const p of paths) if (await exists(p)) found.push(p);
  return found;
}

/** Removes files that no longer belong (e.g. an intermediate CA that signs nothing now). */
export async function removeFiles(paths: string[], dir: string): Promise<void> {
  for (const p of paths) {
    try {
      await Deno.remove(p);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw writeError(e, p, dir);
    }
  }
}

/** Loads the CA in --out, with messages that name the file at fault. */
async function loadCa(files: CaFiles, intermediate: boolean): Promise<Issued> {
  const replace = "or pass --new-ca to replace the CA";
  let ca: Issued;
  try {
    ca = await loadIssuer(
      await readTextFile(files.ca, "CA certificate"),
      await readTextFile(files.caKey, "CA key"),
    );
  } catch (e) {
    if (!(e instanceof IssuerError)) throw e;
    const path = e.file === "certificate" ? files.ca : files.caKey;
    const fix = e.mismatch
      ? `restore the key that belongs to ${files.ca}, ${replace}`
      : `fix it, ${replace}`;
    throw new UsageError(`${path}: ${e.message}`, fix);
  }
  if (ca.notAfter.getTime() <= Date.now()) {
    throw new UsageError(
      `the CA in ${files.ca} expired on ${ca.notAfter.toISOString()}`,
      "pass --new-ca to make a new one",
    );
  }
  if (intermediate && certificateInfo(ca.certificate).pathLen === 0) {
    throw new UsageError(
      `the CA in ${files.ca} has pathLenConstraint 0: it cannot sign an intermediate CA`,
      "drop --intermediate, or pass --new-ca to make a CA that can",
    );
  }
  return ca;
}

/** A file to write; `secret` ones get mode 0600, the others 0644. */
export interface OutFile {
  path: string;
  text: string;
  secret?: boolean;
}

/**
 * Writes every file to a new temporary file created with its final mode,
 * then renames them all into place: a key is never readable by others, and
 * an error leaves the old files as they were.
 */
export async function writeFiles(dir: string, list: OutFile[]): Promise<void> {
  const written: { tmp: string; path: string }[] = [];
  let current = dir;
  try {
    for (const f of list) {
      current = f.path;
      const slash = f.path.lastIndexOf("/");
      const tmp = `${f.path.slice(0, slash + 1)}.${f.path.slice(slash + 1)}.` +
        `${crypto.getRandomValues(new Uint8Array(6)).toHex()}.tmp`;
      const file = await Deno.open(tmp, {
        write: true,
        createNew: true,
        mode: f.secret ? 0o600 : 0o644,
      });
      written.push({ tmp, path: f.path });
      try {
        await file.write(new TextEncoder().encode(f.text));
      } finally {
        file.close();
      }
    }
    for (const w of written) {
      current = w.path;
      await Deno.rename(w.tmp, w.path);
    }
  } catch (e) {
    await Promise.all(written.map((w) => Deno.remove(w.tmp).catch(() => {})));
    throw writeError(e, current, dir);
  }
}

async function ensureWritable(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true });
    const probe = await Deno.makeTempFile({ dir, prefix: ".handshake-probe-" });
    await Deno.remove(probe);
  } catch (e) {
    throw writeError(e, dir, dir);
  }
}

/** A write failure as a UsageError about `path`, with a hint about `dir` (--out). */
function writeError(e: unknown, path: string, dir: string): Error {
  if (e instanceof Deno.errors.NotCapable) {
    return new UsageError(
      `Deno is not allowed to write to ${path}`,
      `run \`deno run --allow-read=${dir} --allow-write=${dir} main.ts ca --out ${dir}\``,
    );
  }
  return new UsageError(`cannot write to ${path}: ${osReason(e)}`, "choose another --out");
}

async function stat(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    if (e instanceof Deno.errors.NotCapable) {
      throw new UsageError(
        `Deno is not allowed to read ${path}`,
        `run \`deno run --allow-read=${path} --allow-write=${path} main.ts ca --out ${path}\``,
      );
    }
    throw new UsageError(`cannot use ${path}: ${osReason(e)}`, "choose another --out");
  }
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path)) !== undefined;
}

/** "Not a directory (os error 20): stat '/x'" → "not a directory" */
function osReason(e: unknown): string {
  return (e as Error).message.replace(/ \(os error \d+\).*$/s, "").toLowerCase();
}
