/**
 * `--trace`: prints a connection's TraceEvents as they happen, in protocol
 * order, one message per heading line saying who sends it to whom and
 * under which record protection, with the details indented below:
 *
 *   --trace          messages, transcript hashes, key schedule steps by
 *                    name, certificates and their verdicts, signatures,
 *                    Finished, keys in use, KeyUpdate, alerts
 *   --trace=secrets  the same, with the values of secrets and keys
 *   --trace=bytes    the same, with every record dissected field by field
 *
 * Values can be combined: `--trace=secrets,bytes`.
 *
 * @module
 */

import { AlertDescription, AlertLevel } from "../lib/errors.ts";
import {
  CipherSuite,
  ContentType,
  ExtensionType,
  HandshakeType,
  NamedGroup,
  SignatureScheme,
  versionName,
} from "../lib/codepoints.ts";
import {
  hybridLayout,
  hybridParts,
  type HybridValue,
  splitHybrid,
} from "../lib/crypto/hybrid_mlkem.ts";
import {
  decodeAlpn,
  decodeCookie,
  decodeSelectedGroup,
  decodeSelectedVersion,
  decodeServerKeyShare,
  decodeU16List,
  findExtension,
} from "../lib/handshake/extensions.ts";
import {
  decodeCertificate,
  decodeCertificateRequest,
  decodeCertificateVerify,
  decodeEncryptedExtensions,
  decodeKeyUpdate,
  decodeNewSessionTicket,
  decodeServerHello,
  isHelloRetryRequest,
  messageName,
} from "../lib/handshake/messages.ts";
import { describeCertificate } from "../lib/inspect/certificate.ts";
import { describeClientHello } from "../lib/inspect/client_hello.ts";
import { type CodePoint, codePointText } from "../lib/inspect/code_point.ts";
import { RecordDissector } from "../lib/inspect/dissect.ts";
import type { Epoch } from "../lib/record/record_layer.ts";
import type { Side, TraceEvent } from "../lib/trace.ts";
import { renderFields } from "./byte_view.ts";
import type { Paint } from "./paint.ts";

import type { TraceLevel } from "./trace_level.ts";

export { bareTraceFlag, parseTraceLevel, type TraceLevel } from "./trace_level.ts";

/** Where and how a printer writes. */
export interface PrinterOptions {
  readonly level: TraceLevel;
  readonly paint: Paint;
  /** Receives each line (without newline). */
  readonly write: (line: string) => void;
  /** Put before every line, e.g. `#3 ` to tell the clients of a server apart. */
  readonly prefix?: string;
  /** The connection is watched (`inspect`), not ours: say what tickets hold, not what we do with them. */
  readonly observer?: boolean;
}

const other = (s: Side): Side => s === "client" ? "server" : "client";
const PROTECTION: Record<Epoch, string> = {
  plaintext: "plaintext",
  early: "early data keys",
  handshake: "handshake keys",
  application: "application keys",
};
/** Values longer than this many bytes are shortened at the default level. */
const SHORT = 32;

/** Prints the events of one connection. */
export class TracePrinter {
  readonly #o: PrinterOptions;
  readonly #p: Paint;
  readonly #dissectors = { client: new RecordDissector(), server: new RecordDissector() };
  /** Each direction's protection, named by the side that sends. */
  readonly #epoch: Record<Side, Epoch> = { client: "plaintext", server: "plaintext" };
  readonly #generation: Record<Side, number> = { client: 0, server: 0 };
  /** The leaf key of each side's certificate, for CertificateVerify lines. */
  readonly #leafKey: Partial<Record<Side, string>> = {};
  /** Key schedule steps not printed yet (grouped on one line at the default level). */
  #steps: string[] = [];
  /** Our own signature and Finished, reported before the message that carries them. */
  #early: TraceEvent[] = [];

  constructor(options: PrinterOptions) {
    this.#o = options;
    this.#p = options.paint;
  }

  /** Prints one event. */
  readonly event = (e: TraceEvent): void => {
    if (e.kind !== "secret") this.#flushSteps();
    switch (e.kind) {
      case "message":
        return this.#message(e);
      case "record":
        return this.#record(e);
      case "transcript":
        return this.#detail(`transcript ${e.hash} after ${e.after}: ${e.value.toHex()}`);
      case "hello_retry":
        return this.#detail(`HelloRetryRequest because ${e.reason}`);
      case "psk":
        return this.#detail(e.ok ? e.detail : this.#p.bad(e.detail));
      case "shared_secret":
        return this.#sharedSecret(e.group, e.value);
      case "secret":
        return this.#secretStep(e.name, e.value);
      case "keys": {
        this.#epoch[e.direction] = e.epoch;
        const which = this.#protection(e.direction);
        const values = this.#o.level.secrets ? `: key ${e.key.toHex()}, iv ${e.iv.toHex()}` : "";
        return this.#detail(`${which} now protect ${this.#arrow(e.direction)}${values}`);
      }
      case "certificate_link":
        return this.#detail(
          `${e.ok ? this.#p.ok("✓") : this.#p.bad("✗")} ${e.subject || "(empty subject)"}: ` +
            e.detail,
        );
      case "certificate_check":
        return this.#detail(
          e.ok
            ? this.#p.ok(`the ${e.peer}'s chain is trusted`)
            : this.#p.bad(`the ${e.peer}'s chain is refused: ${e.detail}`),
        );
      case "signature":
      case "finished":
        return this.#ownOrNow(e);
      case "alert": {
        const what = `alert ${AlertLevel.name(e.level)} ${AlertDescription.name(e.description)}`;
        const paint = e.description === AlertDescription.close_notify ? this.#p.bold : this.#p.bad;
        return this.#heading(e.from, paint(what), this.#protection(e.from));
      }
      case "key_update":
        return; // shown with its message
      case "early_data_skipped":
        return this.#heading(
          "client",
          `0-RTT data, ${e.bytes} bytes: skipped (early data is not accepted, RFC 8446 §4.2.10)`,
          "keys this server does not have",
        );
    }
  };

  // --- lines ---

  #line(text: string): void {
    this.#o.write(`${this.#o.prefix ?? ""}${text}`);
  }

  #arrow(from: Side): string {
    const text = `${from} → ${other(from)}`;
    return from === "client" ? this.#p.client(text) : this.#p.server(text);
  }

  #heading(from: Side, what: string, protection: string): void {
    this.#line(`${this.#arrow(from)}  ${what} · ${protection}`);
  }

  /** The keys that protect what `from` sends now. */
  #protection(from: Side): string {
    const n = this.#generation[from];
    return this.#epoch[from] === "application" && n > 0
      ? `application keys (generation ${n})`
      : PROTECTION[this.#epoch[from]];
  }

  #detail(text: string): void {
    this.#line(`    ${text}`);
  }

  #secret(value: Uint8Array): string {
    return this.#o.level.secrets ? ` = ${value.toHex()}` : "";
  }

  #short(value: Uint8Array): string {
    const h = value.toHex();
    return value.length <= SHORT ? h : `${h.slice(0, 16)}…${h.slice(-8)} (${value.length} bytes)`;
  }

  /** A key share; a hybrid's with its two halves named and sized (draft-ietf-tls-ecdhe-mlkem §3). */
  #share(group: number, value: Uint8Array, which: HybridValue): string {
    const layout = hybridLayout(group);
    if (!layout || !splitHybrid(layout, which, value)) return this.#short(value);
    const [a, b] = hybridParts(layout, which);
    const h = value.toHex();
    return `${h.slice(0, 16)}…${h.slice(-8)} (${value.length} bytes = ${a.name} ${a.length}` +
      ` ‖ ${b.name} ${b.length})`;
  }

  /** `(1216 bytes = ML-KEM-768 1184 ‖ X25519 32)`, or `(32 bytes)`: a key share's size. */
  #size(group: number, value: Uint8Array, which: HybridValue): string {
    const n = `${value.length} byte${value.length === 1 ? "" : "s"}`;
    const layout = hybridLayout(group);
    if (!layout || !splitHybrid(layout, which, value)) return `(${n})`;
    const [a, b] = hybridParts(layout, which);
    return `(${n} = ${a.name} ${a.length} ‖ ${b.name} ${b.length})`;
  }

  /**
   * The key exchange's result: an (EC)DHE secret, or a hybrid's two secrets
   * joined as they are, ML-KEM's and the (EC)DHE one, into the key
   * schedule's one input (draft-ietf-tls-ecdhe-mlkem §3).
   */
  #sharedSecret(group: number, value: Uint8Array): void {
    const name = NamedGroup.name(group);
    const layout = hybridLayout(group);
    const halves = layout && splitHybrid(layout, "shared secret", value);
    if (!layout || !halves) {
      return this.#detail(
        `shared secret computed: ${name} (EC)DHE, ${value.length} bytes${this.#secret(value)}`,
      );
    }
    const [a, b] = hybridParts(layout, "shared secret");
    this.#detail(
      `shared secret computed: ${name} hybrid, ${value.length} bytes = ${a.name} (${a.length})` +
        ` ‖ ${b.name} (${b.length}), concatenated: the (EC)DHE input of the key schedule`,
    );
    if (this.#o.level.secrets) {
      this.#detail(`${a.name} = ${halves[0].toHex()}`);
      this.#detail(`${b.name} = ${halves[1].toHex()}`);
    }
  }

  // --- key schedule ---

  #secretStep(name: string, value: Uint8Array): void {
    const m = name.match(/^(client|server)_application_traffic_secret_(\d+)$/);
    if (m && m[2] !== "0") this.#generation[m[1] as Side] = Number(m[2]);
    if (this.#o.level.secrets) return this.#detail(`${name} = ${value.toHex()}`);
    this.#steps.push(name);
  }

  #flushSteps(): void {
    if (this.#steps.length === 0) return;
    this.#detail(`key schedule (RFC 8446 §7.1): ${this.#steps.join(" → ")}`);
    this.#steps = [];
  }

  // --- signatures and Finished ---

  /** A side reports its own CertificateVerify or Finished before sending it: hold it until then. */
  #ownOrNow(e: Extract<TraceEvent, { kind: "signature" | "finished" }>): void {
    const type = e.kind === "signature" ? HandshakeType.certificate_verify : HandshakeType.finished;
    if (this.#last?.type === type && this.#last.from === e.from) this.#verdict(e, false);
    else this.#early.push(e);
  }

  #last?: { type: number; from: Side };

  /** A Finished or CertificateVerify: computed by this side (`own`), or checked. */
  #verdict(e: Extract<TraceEvent, { kind: "signature" | "finished" }>, own: boolean): void {
    if (e.kind === "finished") {
      const verdict = own
        ? "computed"
        : e.ok
        ? this.#p.ok("matches what this side computes")
        : this.#p.bad("does NOT match");
      return this.#detail(`verify_data ${e.verifyData.toHex()}: ${verdict}`);
    }
    const key = this.#leafKey[e.from];
    const by = key ? `the ${e.from}'s ${key} key` : `the ${e.from}'s key`;
    const verdict = own ? "signed" : e.ok ? this.#p.ok("verified") : this.#p.bad("does NOT verify");
    this.#detail(
      `${SignatureScheme.name(e.scheme)} signature over transcript hash ` +
        `${e.transcriptHash.toHex()} with ${by}: ${verdict}`,
    );
  }

  // --- messages ---

  #message(e: Extract<TraceEvent, { kind: "message" }>): void {
    const hrr = e.type === HandshakeType.server_hello && isHrr(e.raw);
    const name = hrr ? "HelloRetryRequest" : messageName(e.type);
    this.#heading(e.from, this.#p.bold(name), `${PROTECTION[e.epoch]} · ${e.raw.length} bytes`);
    this.#last = { type: e.type, from: e.from };
    try {
      this.#messageDetails(e.from, e.type, e.raw, hrr);
    } catch (err) {
      this.#detail(this.#p.bad(`does not decode: ${(err as Error).message}`));
    }
    const early = this.#early.filter((x) =>
      x.kind === "signature" || x.kind === "finished" ? x.from === e.from : false
    );
    for (const x of early) {
      const type = x.kind === "signature"
        ? HandshakeType.certificate_verify
        : HandshakeType.finished;
      if (type !== e.type) continue;
      this.#early = this.#early.filter((y) => y !== x);
      this.#verdict(x as Extract<TraceEvent, { kind: "signature" | "finished" }>, true);
    }
  }

  #messageDetails(from: Side, type: number, raw: Uint8Array, hrr: boolean): void {
    const body = raw.subarray(4);
    switch (type) {
      case HandshakeType.client_hello:
        return this.#clientHello(raw);
      case HandshakeType.server_hello:
        return this.#serverHello(body, hrr);
      case HandshakeType.encrypted_extensions: {
        const exts = decodeEncryptedExtensions(body);
        const parts = exts.map((x) => {
          if (x.type === ExtensionType.application_layer_protocol_negotiation) {
            return `ALPN ${decodeAlpn(x.data).join(", ")}`;
          }
          if (x.type === ExtensionType.server_name) return "server_name acknowledged";
          return ExtensionType.name(x.type);
        });
        return this.#detail(parts.length ? parts.join(" · ") : "no extensions");
      }
      case HandshakeType.certificate_request: {
        const cr = decodeCertificateRequest(body);
        const algs = findExtension(cr.extensions, ExtensionType.signature_algorithms);
        const names = algs
          ? decodeU16List(algs, ExtensionType.signature_algorithms).map(SignatureScheme.name)
          : [];
        return this.#detail(`asks for a certificate, signed with ${names.join(", ") || "?"}`);
      }
      case HandshakeType.certificate:
        return this.#certificate(from, body);
      case HandshakeType.certificate_verify: {
        const cv = decodeCertificateVerify(body);
        return this.#detail(
          `${SignatureScheme.name(cv.scheme)}, signature ${this.#short(cv.signature)}`,
        );
      }
      case HandshakeType.new_session_ticket: {
        const t = decodeNewSessionTicket(body);
        if (this.#o.observer) {
          const exts = t.extensions.map((x) => ExtensionType.name(x.type)).join(", ");
          return this.#detail(
            `ticket for ${t.lifetime} s · ${t.ticket.length}-byte ticket · ` +
              `nonce ${t.nonce.toHex() || "(empty)"}${exts ? ` · ${exts}` : ""}`,
          );
        }
        return this.#detail(`ticket for ${t.lifetime} s · ${t.ticket.length}-byte ticket`);
      }
      case HandshakeType.key_update:
        return this.#detail(
          decodeKeyUpdate(body)
            ? "update_requested: the peer must update its keys too"
            : "update_not_requested",
        );
    }
  }

  #clientHello(raw: Uint8Array): void {
    const ch = describeClientHello(raw);
    const names = (list?: readonly CodePoint[]) =>
      list ? list.map(codePointText).join(", ") : "(none)";
    const session = ch.legacySessionId.length
      ? `legacy_session_id ${ch.legacySessionId.length / 2} bytes (middlebox compatibility)`
      : "no legacy_session_id";
    this.#detail(`random ${ch.random} · ${session}`);
    this.#detail(`versions ${names(ch.versions)} · suites ${names(ch.cipherSuites)}`);
    // A watched client's key shares by size (the values are in the byte view); our own by value.
    const shares = (ch.keyShares ?? []).map((s) => {
      const value = Uint8Array.fromHex(s.publicKey);
      const shown = this.#o.observer
        ? this.#size(s.group.value, value, "client share")
        : this.#share(s.group.value, value, "client share");
      return `${codePointText(s.group)} ${shown}`;
    });
    this.#detail(`groups ${names(ch.groups)} · key shares ${shares.join(", ") || "(none)"}`);
    this.#detail(`signature algorithms ${names(ch.signatureAlgorithms)}`);
    const alpn = ch.alpn ? ch.alpn.join(", ") : "(none)";
    this.#detail(`SNI ${ch.serverName ?? "(none)"} · ALPN ${alpn}`);
    if (this.#o.observer) {
      this.#detail(
        `extensions, in order: ${ch.extensions.map((x) => codePointText(x.type)).join(", ")}`,
      );
    }
  }

  #serverHello(body: Uint8Array, hrr: boolean): void {
    const sh = decodeServerHello(body);
    const suite = CipherSuite.name(sh.cipherSuite);
    const share = findExtension(sh.extensions, ExtensionType.key_share);
    if (hrr) {
      const group = share ? NamedGroup.name(decodeSelectedGroup(share)) : "(no group)";
      const cookie = findExtension(sh.extensions, ExtensionType.cookie);
      const c = cookie ? `, cookie ${decodeCookie(cookie).length} bytes` : "";
      return this.#detail(`${suite}; asks for a key share for ${group}${c}`);
    }
    const entry = share ? decodeServerKeyShare(share) : undefined;
    const selected = findExtension(sh.extensions, ExtensionType.supported_versions);
    const version = versionName(selected ? decodeSelectedVersion(selected) : sh.legacyVersion);
    this.#detail(
      `chose ${version} · ${suite} · ${entry ? NamedGroup.name(entry.group) : "(no key share)"}`,
    );
    const pub = entry
      ? ` · key share ${this.#share(entry.group, entry.keyExchange, "server share")}`
      : "";
    this.#detail(`random ${sh.random.toHex()}${pub}`);
  }

  #certificate(from: Side, body: Uint8Array): void {
    const cert = decodeCertificate(body);
    if (cert.entries.length === 0) return this.#detail("no certificate");
    cert.entries.forEach((entry, i) => {
      const c = describeCertificate(entry.certificate);
      if (!c) return this.#detail(`[${i}] does not parse as X.509`);
      if (i === 0) this.#leafKey[from] = c.publicKey;
      this.#detail(`[${i}] ${c.subject} · issuer ${c.issuer}`);
      const sans = c.subjectAltNames.length ? `SAN ${c.subjectAltNames.join(", ")} · ` : "";
      this.#detail(
        `    ${sans}serial ${c.serial} · ${c.notBefore} → ${c.notAfter} · ${c.publicKey}`,
      );
    });
  }

  // --- records ---

  #record(e: Extract<TraceEvent, { kind: "record" }>): void {
    if (this.#o.level.bytes) {
      const type = ContentType.name(e.contentType);
      this.#heading(e.from, `record: ${type}`, `${PROTECTION[e.epoch]} · ${e.bytes.length} bytes`);
      const fields = this.#dissectors[e.from].dissect(e);
      for (const line of renderFields(fields, this.#p, 4)) this.#line(line);
      return;
    }
    if (e.contentType === ContentType.change_cipher_spec) {
      this.#heading(e.from, "ChangeCipherSpec", "plaintext, for middlebox compatibility only");
    } else if (e.contentType === ContentType.application_data) {
      this.#heading(
        e.from,
        `application data, ${e.content.length} bytes`,
        PROTECTION[e.epoch],
      );
    }
  }
}

function isHrr(raw: Uint8Array): boolean {
  try {
    return isHelloRetryRequest(decodeServerHello(raw.subarray(4)));
  } catch {
    return false;
  }
}
