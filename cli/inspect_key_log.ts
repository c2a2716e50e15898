/**
 * `inspect --keylog FILE`: the key log as a source of traffic secrets. A
 * relay reads it while the programs it watches are still writing it: a
 * secret not there yet is looked for again in what has been added since
 * (the narration holds its records back meanwhile: `inspect_narration.ts`).
 *
 * @module
 */

import { KeyLogBook, type KeyLogLabel } from "../lib/inspect/key_log_reader.ts";
import { UsageError } from "./common.ts";

/** A key log file, read as far as it has been written. */
export class KeyLogFile {
  readonly path: string;
  readonly #book = new KeyLogBook();
  readonly #decoder = new TextDecoder();
  readonly #growing: boolean;
  #offset = 0;
  /**
   * The last read, which the next waits for: connections look secrets up at
   * once (a browser opens two), and two reads from the same offset would
   * each add what they read and move the offset on twice.
   */
  #reading: Promise<void> = Promise.resolve();

  /** `growing`: the file may still be written to (a relay's), or it is complete (a capture's). */
  constructor(path: string, growing: boolean) {
    this.path = path;
    this.#growing = growing;
  }

  /** Secrets read so far. */
  get size(): number {
    return this.#book.size;
  }

  /**
   * Reads what the file holds now, after any read under way; `mustExist`
   * turns a missing file into a UsageError.
   */
  refresh(mustExist = false): Promise<void> {
    const read = this.#reading.then(() => this.#read(mustExist));
    this.#reading = read.catch(() => {});
    return read;
  }

  async #read(mustExist: boolean): Promise<void> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(this.path, { read: true });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound && !mustExist) return;
      const why = e instanceof Deno.errors.NotFound
        ? "does not exist"
        : e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable
        ? "permission denied"
        : (e as Error).message;
      throw new UsageError(`cannot read the key log ${this.path}: ${why}`);
    }
    try {
      const size = (await file.stat()).size;
      if (size < this.#offset) this.#offset = 0; // rewritten from the start
      await file.seek(this.#offset, Deno.SeekMode.Start);
      const buf = new Uint8Array(64 * 1024);
      for (let n = await file.read(buf); n !== null; n = await file.read(buf)) {
        this.#offset += n;
        this.#book.add(this.#decoder.decode(buf.subarray(0, n), { stream: true }));
      }
      if (!this.#growing) this.#book.end();
    } finally {
      file.close();
    }
  }

  /** The secret for this connection and label, reading what was added to the file if need be. */
  readonly lookup = async (
    clientRandom: Uint8Array,
    label: KeyLogLabel,
  ): Promise<Uint8Array | undefined> => {
    const found = this.#book.get(clientRandom, label);
    if (found || !this.#growing) return found;
    await this.refresh();
    return this.#book.get(clientRandom, label);
  };
}
