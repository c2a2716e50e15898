/**
 * The IANA code points TLS 1.3 speaks in, as open enums: values this table
 * does not name (GREASE, newer extensions) stay valid and print as hex.
 *
 * @module
 */

import { type OpenEnum, openEnum } from "./wire/open_enum.ts";

/** RFC 8446 §5.1: ContentType. */
export const ContentType = openEnum({
  invalid: 0,
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
});

/** RFC 8446 §4: the HandshakeType code points by name (`HandshakeType` is the open enum). */
export const HANDSHAKE_TYPES = {
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  certificate_request: 13,
  certificate_verify: 15,
  finished: 20,
  key_update: 24,
  message_hash: 254,
};
/** RFC 8446 §4: HandshakeType (plus `message_hash`, §4.4.1). */
export const HandshakeType: OpenEnum<typeof HANDSHAKE_TYPES> = openEnum(HANDSHAKE_TYPES);

/** RFC 8446 §4.2: ExtensionType (the ones this project meets). */
export const ExtensionType = openEnum({
  server_name: 0,
  max_fragment_length: 1,
  status_request: 5,
  supported_groups: 10,
  ec_point_formats: 11,
  signature_algorithms: 13,
  use_srtp: 14,
  heartbeat: 15,
  application_layer_protocol_negotiation: 16,
  signed_certificate_timestamp: 18,
  client_certificate_type: 19,
  server_certificate_type: 20,
  padding: 21,
  encrypt_then_mac: 22,
  extended_master_secret: 23,
  compress_certificate: 27,
  record_size_limit: 28,
  session_ticket: 35,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  oid_filters: 48,
  post_handshake_auth: 49,
  signature_algorithms_cert: 50,
  key_share: 51,
  application_settings_old: 17513,
  application_settings: 17613,
  encrypted_client_hello: 65037,
  renegotiation_info: 65281,
});

/** RFC 8446 §4.2.7: the NamedGroup code points by name (`NamedGroup` is the open enum). */
export const NAMED_GROUPS = {
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  secp521r1: 0x0019,
  x25519: 0x001d,
  x448: 0x001e,
  ffdhe2048: 0x0100,
  ffdhe3072: 0x0101,
  ffdhe4096: 0x0102,
  ffdhe6144: 0x0103,
  ffdhe8192: 0x0104,
  SecP256r1MLKEM768: 0x11eb,
  X25519MLKEM768: 0x11ec,
  X25519Kyber768Draft00: 0x6399,
};
/**
 * RFC 8446 §4.2.7: NamedGroup, with the hybrid post-quantum groups of
 * draft-ietf-tls-ecdhe-mlkem. x25519, secp256r1, secp384r1 and the two
 * ML-KEM hybrids are implemented; the rest are names to print.
 */
export const NamedGroup: OpenEnum<typeof NAMED_GROUPS> = openEnum(NAMED_GROUPS);

/** RFC 8446 §4.2.3: the SignatureScheme code points by name (`SignatureScheme` is the open enum). */
export const SIGNATURE_SCHEMES = {
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  ed448: 0x0808,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
  mldsa44: 0x0904,
  mldsa65: 0x0905,
  mldsa87: 0x0906,
  rsa_pkcs1_sha1: 0x0201,
  ecdsa_sha1: 0x0203,
};
/** RFC 8446 §4.2.3: SignatureScheme. */
export const SignatureScheme: OpenEnum<typeof SIGNATURE_SCHEMES> = openEnum(SIGNATURE_SCHEMES);

/** RFC 8446 §B.4: the cipher suite code points by name (`CipherSuite` is the open enum). */
export const CIPHER_SUITES = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
  TLS_AES_128_CCM_SHA256: 0x1304,
  TLS_AES_128_CCM_8_SHA256: 0x1305,
  TLS_EMPTY_RENEGOTIATION_INFO_SCSV: 0x00ff,
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 0xc02b,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 0xc02c,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 0xc02f,
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 0xc030,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca9,
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca8,
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 0xc013,
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 0xc014,
  TLS_RSA_WITH_AES_128_GCM_SHA256: 0x009c,
  TLS_RSA_WITH_AES_256_GCM_SHA384: 0x009d,
  TLS_RSA_WITH_AES_128_CBC_SHA: 0x002f,
  TLS_RSA_WITH_AES_256_CBC_SHA: 0x0035,
};
/**
 * RFC 8446 §B.4: CipherSuite; and, to print what clients offer, the TLS 1.2
 * suites browsers and curl still list (RFC 5289, RFC 7905, RFC 5246).
 */
export const CipherSuite: OpenEnum<typeof CIPHER_SUITES> = openEnum(CIPHER_SUITES);

/** RFC 8446 §4.2.1: the protocol versions seen in supported_versions. */
export const ProtocolVersion = openEnum({
  SSLv3: 0x0300,
  TLSv1_0: 0x0301,
  TLSv1_1: 0x0302,
  TLSv1_2: 0x0303,
  TLSv1_3: 0x0304,
});

/** "TLS 1.2", "SSL 3.0", or the hex code of an unknown version, for messages to people. */
export function versionName(version: number): string {
  if (version === ProtocolVersion.SSLv3) return "SSL 3.0";
  if (version >= ProtocolVersion.TLSv1_0 && version <= ProtocolVersion.TLSv1_3) {
    return `TLS 1.${version - ProtocolVersion.TLSv1_0}`;
  }
  return ProtocolVersion.name(version);
}

/** RFC 8446 §4.6.3: KeyUpdateRequest. */
export const KeyUpdateRequest = openEnum({ update_not_requested: 0, update_requested: 1 });
