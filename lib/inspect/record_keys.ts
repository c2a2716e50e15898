/**
 * The only crypto `inspect` uses, in one place, through a crypto provider:
 * record protection for one direction from a traffic secret read in a key
 * log (RFC 8446 §7.3), opening a record with it (§5.2), and the next traffic
 * secret after a KeyUpdate (§7.2). All of it is the engine's own key
 * schedule and record layer.
 *
 * @module
 */

import { RecordCipher, trafficKeys } from "../crypto/aead.ts";
import { KeySchedule } from "../crypto/key_schedule.ts";
import type { CryptoProvider, MaybePromise } from "../crypto/provider.ts";
import { type Suite, suiteById } from "../crypto/suites.ts";
import type { RawRecord } from "../record/deframer.ts";
import { Direction, type Epoch, type OpenedRecord, openRecord } from "../record/record_layer.ts";

/** The suite with code point `id`, if `crypto` implements it (and so can open its records). */
export function decryptableSuite(crypto: CryptoProvider, id: number): Suite | undefined {
  return suiteById(crypto, id);
}

/** One direction's record protection, installed from a traffic secret. */
export interface RecordKeys {
  readonly secret: Uint8Array;
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
  /**
   * Opens the next record of this direction (sequence numbers count from
   * zero), at once with a synchronous provider. Calls may overlap: each
   * takes its sequence number when it is made, so records are opened in
   * the order of the calls, whenever their results come. `inPlace`: the
   * record's bytes may be overwritten (a provider that opens in place
   * decrypts them where they lie; the content is then a view of them).
   */
  open(record: RawRecord, inPlace?: boolean): MaybePromise<OpenedRecord>;
  /** Whether `open` decrypts in place when asked to (a synchronous provider that can). */
  readonly opensInPlace: boolean;
}

/** RFC 8446 §7.3: the write key and IV from `secret`, ready to open records. */
export async function recordKeys(
  suite: Suite,
  secret: Uint8Array,
  epoch: Epoch,
): Promise<RecordKeys> {
  const { key, iv } = trafficKeys(suite, secret);
  const direction = new Direction();
  direction.set(await RecordCipher.fromKeys(suite, key, iv), secret, epoch);
  return {
    secret,
    key,
    iv,
    open: (record, inPlace) => openRecord(direction, record, inPlace),
    opensInPlace: direction.cipher!.opensInPlace,
  };
}

/** RFC 8446 §7.2: application_traffic_secret_N+1 from application_traffic_secret_N. */
export function nextTrafficSecret(suite: Suite, secret: Uint8Array): Uint8Array {
  return new KeySchedule(suite).nextTrafficSecret(secret);
}
