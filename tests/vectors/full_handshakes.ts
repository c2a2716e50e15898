/**
 * The published full handshakes as one table, so that one suite
 * (tests/vectors_test.ts) checks each the same way: RFC 8448 §3 (SHA-256,
 * one record for the server's encrypted flight) and "The Illustrated TLS
 * 1.3 Connection" (SHA-384, one record per message). The bytes themselves
 * are in rfc8448.ts and illustrated.ts; this file says what each one is.
 *
 * @module
 */

import { CipherSuite, ContentType, ExtensionType as X } from "../../lib/codepoints.ts";
import type { SecretName } from "../../lib/crypto/key_schedule.ts";
import * as I from "./illustrated.ts";
import * as V from "./rfc8448.ts";

/** An X25519 key pair as a trace prints it. */
export interface KeyPair {
  readonly private: Uint8Array;
  readonly public: Uint8Array;
}

/** One protected record: its content type, sequence number, content and bytes on the wire. */
export interface ProtectedRecord {
  readonly what: string;
  readonly side: "client" | "server";
  readonly seq: number;
  readonly type: number;
  readonly content: Uint8Array;
  readonly record: Uint8Array;
}

/** A NewSessionTicket and the fields it must decode to. */
export interface Ticket {
  readonly message: Uint8Array;
  readonly lifetime: number;
  readonly ageAdd: number;
  readonly nonce: string;
  readonly ticketLength: number;
  /** [type, data as hex] of each extension, in order. */
  readonly extensions: readonly [number, string][];
}

/** A full (certificate-authenticated) 1-RTT handshake, published byte for byte. */
export interface FullHandshake {
  /** What the tests are named after: "RFC 8448 §3", "Illustrated TLS 1.3". */
  readonly name: string;
  readonly suite: number;
  readonly hash: "SHA-256" | "SHA-384";
  readonly client: KeyPair;
  readonly server: KeyPair;
  readonly sharedSecret: Uint8Array;

  readonly clientHello: Uint8Array;
  readonly clientHelloRecordHeader: Uint8Array;
  readonly serverHello: Uint8Array;
  readonly serverHelloRecordHeader: Uint8Array;
  readonly encryptedExtensions: Uint8Array;
  readonly certificate: Uint8Array;
  readonly certificateDer: Uint8Array;
  readonly certificateVerify: Uint8Array;
  readonly serverFinished: Uint8Array;
  readonly clientFinished: Uint8Array;

  /** Transcript hashes the trace prints: the messages hashed, and the hash. */
  readonly transcriptHashes: readonly [Uint8Array[], Uint8Array][];
  readonly helloHash: Uint8Array;
  readonly serverFinishedHash: Uint8Array;
  /** Every secret the trace prints; the others are derived from these in the tests (RFC 8446 §7.1). */
  readonly secrets: Partial<Record<SecretName, Uint8Array>>;
  /** [traffic secret, write key, write IV] for each direction and epoch. */
  readonly trafficKeys: readonly [Uint8Array, Uint8Array, Uint8Array][];
  /** The finished_keys (RFC 8446 §4.4.4), where the trace prints them. */
  readonly finishedKeys?: { readonly server: Uint8Array; readonly client: Uint8Array };

  /** The server's encrypted flight: each record's sequence number, messages and bytes. */
  readonly serverFlight: readonly {
    readonly seq: number;
    readonly messages: readonly Uint8Array[];
    readonly record: Uint8Array;
  }[];
  readonly clientFinishedRecord: Uint8Array;
  /** The application-epoch records, each side's in sequence order. */
  readonly applicationRecords: readonly ProtectedRecord[];

  /** What the ClientHello must decode to (besides its re-encoding). */
  readonly clientHelloFields: {
    readonly random: Uint8Array;
    readonly sessionId: Uint8Array;
    readonly cipherSuites: readonly number[];
    readonly extensions: readonly number[];
    readonly serverName: string;
    readonly groups: readonly number[];
  };
  /** What the ServerHello must decode to. */
  readonly serverHelloFields: {
    readonly random: Uint8Array;
    readonly sessionIdEcho: Uint8Array;
    readonly extensions: readonly number[];
  };
  /** The types of the EncryptedExtensions' extensions, in order. */
  readonly encryptedExtensionTypes: readonly number[];
  /** The CertificateVerify signature's length (the RSA modulus). */
  readonly signatureLength: number;
  readonly tickets: readonly Ticket[];
}

const CLOSE_NOTIFY = new Uint8Array([1, 0]);

/** RFC 8448 §3, "Simple 1-RTT Handshake". */
export const RFC8448: FullHandshake = {
  name: "RFC 8448 §3",
  suite: CipherSuite.TLS_AES_128_GCM_SHA256,
  hash: "SHA-256",
  client: { private: V.CLIENT_PRIVATE, public: V.CLIENT_PUBLIC },
  server: { private: V.SERVER_PRIVATE, public: V.SERVER_PUBLIC },
  sharedSecret: V.SHARED_SECRET,
  clientHello: V.CLIENT_HELLO,
  clientHelloRecordHeader: V.CLIENT_HELLO_RECORD_HEADER,
  serverHello: V.SERVER_HELLO,
  serverHelloRecordHeader: V.SERVER_HELLO_RECORD_HEADER,
  encryptedExtensions: V.ENCRYPTED_EXTENSIONS,
  certificate: V.CERTIFICATE,
  certificateDer: V.SERVER_CERTIFICATE_DER,
  certificateVerify: V.CERTIFICATE_VERIFY,
  serverFinished: V.SERVER_FINISHED,
  clientFinished: V.CLIENT_FINISHED,
  transcriptHashes: [
    [[V.CLIENT_HELLO, V.SERVER_HELLO], V.HELLO_HASH],
    [[
      V.CLIENT_HELLO,
      V.SERVER_HELLO,
      V.ENCRYPTED_EXTENSIONS,
      V.CERTIFICATE,
      V.CERTIFICATE_VERIFY,
      V.SERVER_FINISHED,
    ], V.SERVER_FINISHED_HASH],
    [[
      V.CLIENT_HELLO,
      V.SERVER_HELLO,
      V.ENCRYPTED_EXTENSIONS,
      V.CERTIFICATE,
      V.CERTIFICATE_VERIFY,
      V.SERVER_FINISHED,
      V.CLIENT_FINISHED,
    ], V.CLIENT_FINISHED_HASH],
  ],
  helloHash: V.HELLO_HASH,
  serverFinishedHash: V.SERVER_FINISHED_HASH,
  secrets: {
    early_secret: V.EARLY_SECRET,
    handshake_secret: V.HANDSHAKE_SECRET,
    client_handshake_traffic_secret: V.CLIENT_HANDSHAKE_TRAFFIC_SECRET,
    server_handshake_traffic_secret: V.SERVER_HANDSHAKE_TRAFFIC_SECRET,
    master_secret: V.MASTER_SECRET,
    client_application_traffic_secret_0: V.CLIENT_APPLICATION_TRAFFIC_SECRET,
    server_application_traffic_secret_0: V.SERVER_APPLICATION_TRAFFIC_SECRET,
    exporter_master_secret: V.EXPORTER_MASTER_SECRET,
  },
  trafficKeys: [
    [V.SERVER_HANDSHAKE_TRAFFIC_SECRET, V.SERVER_HANDSHAKE_KEY, V.SERVER_HANDSHAKE_IV],
    [V.CLIENT_HANDSHAKE_TRAFFIC_SECRET, V.CLIENT_HANDSHAKE_KEY, V.CLIENT_HANDSHAKE_IV],
    [V.SERVER_APPLICATION_TRAFFIC_SECRET, V.SERVER_APPLICATION_KEY, V.SERVER_APPLICATION_IV],
    [V.CLIENT_APPLICATION_TRAFFIC_SECRET, V.CLIENT_APPLICATION_KEY, V.CLIENT_APPLICATION_IV],
  ],
  finishedKeys: { server: V.SERVER_FINISHED_KEY, client: V.CLIENT_FINISHED_KEY },
  serverFlight: [{
    seq: 0,
    messages: [V.ENCRYPTED_EXTENSIONS, V.CERTIFICATE, V.CERTIFICATE_VERIFY, V.SERVER_FINISHED],
    record: V.SERVER_FLIGHT_RECORD,
  }],
  clientFinishedRecord: V.CLIENT_FINISHED_RECORD,
  applicationRecords: [
    // server → client: NewSessionTicket, then data, then close_notify: sequence numbers 0, 1, 2.
    {
      what: "server ticket",
      side: "server",
      seq: 0,
      type: ContentType.handshake,
      content: V.NEW_SESSION_TICKET,
      record: V.NEW_SESSION_TICKET_RECORD,
    },
    {
      what: "server data",
      side: "server",
      seq: 1,
      type: ContentType.application_data,
      content: V.APPLICATION_DATA,
      record: V.SERVER_APPLICATION_RECORD,
    },
    {
      what: "server close_notify",
      side: "server",
      seq: 2,
      type: ContentType.alert,
      content: CLOSE_NOTIFY,
      record: V.SERVER_ALERT_RECORD,
    },
    // client → server: data, then close_notify: sequence numbers 0, 1.
    {
      what: "client data",
      side: "client",
      seq: 0,
      type: ContentType.application_data,
      content: V.APPLICATION_DATA,
      record: V.CLIENT_APPLICATION_RECORD,
    },
    {
      what: "client close_notify",
      side: "client",
      seq: 1,
      type: ContentType.alert,
      content: CLOSE_NOTIFY,
      record: V.CLIENT_ALERT_RECORD,
    },
  ],
  clientHelloFields: {
    random: V.CLIENT_HELLO.subarray(6, 38),
    sessionId: new Uint8Array(0),
    cipherSuites: [0x1301, 0x1303, 0x1302],
    extensions: [
      X.server_name,
      X.renegotiation_info,
      X.supported_groups,
      X.session_ticket,
      X.key_share,
      X.supported_versions,
      X.signature_algorithms,
      X.psk_key_exchange_modes,
      X.record_size_limit,
    ],
    serverName: "server",
    groups: [0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104],
  },
  serverHelloFields: {
    random: V.SERVER_HELLO.subarray(6, 38),
    sessionIdEcho: new Uint8Array(0),
    extensions: [X.key_share, X.supported_versions],
  },
  encryptedExtensionTypes: [X.supported_groups, X.record_size_limit, X.server_name],
  signatureLength: 128,
  tickets: [{
    message: V.NEW_SESSION_TICKET,
    lifetime: 0x1e,
    ageAdd: 0xfad6aac5,
    nonce: "0000",
    ticketLength: 0xb2,
    extensions: [[X.early_data, "00000400"]],
  }],
};

/** "The Illustrated TLS 1.3 Connection" (tls13.xargs.org). */
export const ILLUSTRATED: FullHandshake = {
  name: "Illustrated TLS 1.3",
  suite: CipherSuite.TLS_AES_256_GCM_SHA384,
  hash: "SHA-384",
  client: { private: I.CLIENT_PRIVATE, public: I.CLIENT_PUBLIC },
  server: { private: I.SERVER_PRIVATE, public: I.SERVER_PUBLIC },
  sharedSecret: I.SHARED_SECRET,
  clientHello: I.CLIENT_HELLO,
  clientHelloRecordHeader: I.CLIENT_HELLO_RECORD_HEADER,
  serverHello: I.SERVER_HELLO,
  serverHelloRecordHeader: I.SERVER_HELLO_RECORD_HEADER,
  encryptedExtensions: I.ENCRYPTED_EXTENSIONS,
  certificate: I.CERTIFICATE,
  certificateDer: I.SERVER_CERTIFICATE_DER,
  certificateVerify: I.CERTIFICATE_VERIFY,
  serverFinished: I.SERVER_FINISHED,
  clientFinished: I.CLIENT_FINISHED,
  transcriptHashes: [
    [[I.CLIENT_HELLO, I.SERVER_HELLO], I.HELLO_HASH],
    [[
      I.CLIENT_HELLO,
      I.SERVER_HELLO,
      I.ENCRYPTED_EXTENSIONS,
      I.CERTIFICATE,
      I.CERTIFICATE_VERIFY,
      I.SERVER_FINISHED,
    ], I.SERVER_FINISHED_HASH],
  ],
  helloHash: I.HELLO_HASH,
  serverFinishedHash: I.SERVER_FINISHED_HASH,
  // The page prints neither the early secret nor the master secret.
  secrets: {
    handshake_secret: I.HANDSHAKE_SECRET,
    client_handshake_traffic_secret: I.CLIENT_HANDSHAKE_TRAFFIC_SECRET,
    server_handshake_traffic_secret: I.SERVER_HANDSHAKE_TRAFFIC_SECRET,
    client_application_traffic_secret_0: I.CLIENT_APPLICATION_TRAFFIC_SECRET,
    server_application_traffic_secret_0: I.SERVER_APPLICATION_TRAFFIC_SECRET,
    exporter_master_secret: I.EXPORTER_MASTER_SECRET,
  },
  trafficKeys: [
    [I.SERVER_HANDSHAKE_TRAFFIC_SECRET, I.SERVER_HANDSHAKE_KEY, I.SERVER_HANDSHAKE_IV],
    [I.CLIENT_HANDSHAKE_TRAFFIC_SECRET, I.CLIENT_HANDSHAKE_KEY, I.CLIENT_HANDSHAKE_IV],
    [I.SERVER_APPLICATION_TRAFFIC_SECRET, I.SERVER_APPLICATION_KEY, I.SERVER_APPLICATION_IV],
    [I.CLIENT_APPLICATION_TRAFFIC_SECRET, I.CLIENT_APPLICATION_KEY, I.CLIENT_APPLICATION_IV],
  ],
  // One record per message (OpenSSL), sequence numbers 0 to 3.
  serverFlight: [
    { seq: 0, messages: [I.ENCRYPTED_EXTENSIONS], record: I.ENCRYPTED_EXTENSIONS_RECORD },
    { seq: 1, messages: [I.CERTIFICATE], record: I.CERTIFICATE_RECORD },
    { seq: 2, messages: [I.CERTIFICATE_VERIFY], record: I.CERTIFICATE_VERIFY_RECORD },
    { seq: 3, messages: [I.SERVER_FINISHED], record: I.SERVER_FINISHED_RECORD },
  ],
  clientFinishedRecord: I.CLIENT_FINISHED_RECORD,
  applicationRecords: [
    {
      what: "client ping",
      side: "client",
      seq: 0,
      type: ContentType.application_data,
      content: I.PING,
      record: I.PING_RECORD,
    },
    {
      what: "server ticket 1",
      side: "server",
      seq: 0,
      type: ContentType.handshake,
      content: I.NEW_SESSION_TICKET_1,
      record: I.NEW_SESSION_TICKET_1_RECORD,
    },
    {
      what: "server ticket 2",
      side: "server",
      seq: 1,
      type: ContentType.handshake,
      content: I.NEW_SESSION_TICKET_2,
      record: I.NEW_SESSION_TICKET_2_RECORD,
    },
    {
      what: "server pong",
      side: "server",
      seq: 2,
      type: ContentType.application_data,
      content: I.PONG,
      record: I.PONG_RECORD,
    },
  ],
  clientHelloFields: {
    random: I.CLIENT_RANDOM,
    sessionId: I.SESSION_ID,
    cipherSuites: [0x1302, 0x1303, 0x1301, 0x00ff],
    extensions: [
      X.server_name,
      X.ec_point_formats,
      X.supported_groups,
      X.session_ticket,
      X.encrypt_then_mac,
      X.extended_master_secret,
      X.signature_algorithms,
      X.supported_versions,
      X.psk_key_exchange_modes,
      X.key_share,
    ],
    serverName: "example.ulfheim.net",
    groups: [0x001d, 0x0017, 0x001e, 0x0019, 0x0018, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104],
  },
  serverHelloFields: {
    random: I.SERVER_RANDOM,
    sessionIdEcho: I.SESSION_ID,
    extensions: [X.supported_versions, X.key_share],
  },
  encryptedExtensionTypes: [],
  signatureLength: 256,
  tickets: [I.NEW_SESSION_TICKET_1, I.NEW_SESSION_TICKET_2].map((message, i) => ({
    message,
    lifetime: 7200,
    ageAdd: 0,
    nonce: `000000000000000${i}`,
    ticketLength: 0xc0,
    extensions: [],
  })),
};

/** Every published full handshake. */
export const FULL_HANDSHAKES: readonly FullHandshake[] = [RFC8448, ILLUSTRATED];
