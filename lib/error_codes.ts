/**
 * The stable codes of the errors this library raises, and the one table that
 * maps each `TlsError` code to the alert it sends (RFC 8446 §6.2).
 *
 * A code names a failure, not its wording: programs and tests match on
 * `err.code`, people read `err.message`. Codes are snake_case and never
 * renamed; a new failure gets a new code. The families follow rustls's
 * `Error`: records, malformed messages (`InvalidMessage`), a peer that
 * breaks the protocol (`PeerMisbehaved`), a peer with nothing in common
 * (`PeerIncompatible`), certificate refusals (`CertificateError`, every
 * code `cert_` and nothing else sending a certificate alert), and failures
 * of this side.
 *
 * @module
 */

import type { ALERT_DESCRIPTIONS } from "./errors.ts";

/** An alert's RFC 8446 §6 name, e.g. `decode_error`. */
export type AlertName = keyof typeof ALERT_DESCRIPTIONS;

/** Every `TlsError` code, with the alert it sends to the peer. */
export const TLS_ERROR_CODES = {
  // Records (RFC 8446 §5).
  /** A record's content type is none that TLS 1.3 defines. */
  record_unknown_content_type: "unexpected_message",
  /** A record header's legacy_record_version is not 0x03XX. */
  record_bad_version: "decode_error",
  /** A record is longer than 2^14 + 256 bytes. */
  record_overflow: "record_overflow",
  /** A plaintext record is longer than 2^14 bytes. */
  plaintext_record_overflow: "record_overflow",
  /** A decrypted TLSInnerPlaintext is longer than 2^14 + 1 bytes. */
  inner_plaintext_overflow: "record_overflow",
  /** An encrypted record is shorter than the AEAD tag. */
  record_too_short_for_tag: "bad_record_mac",
  /** A record failed to decrypt under the current read keys. */
  bad_record_mac: "bad_record_mac",
  /** A decrypted record holds only zero padding, no content type. */
  record_only_padding: "unexpected_message",
  /** A plaintext record (other than ChangeCipherSpec) arrived after encryption started. */
  plaintext_after_encryption: "unexpected_message",
  /** An encrypted record carries a content type TLS 1.3 never encrypts. */
  unexpected_encrypted_content_type: "unexpected_message",
  /** Application data arrived before the handshake was complete. */
  application_data_before_finished: "unexpected_message",
  /** A handshake record of zero length. */
  empty_handshake_record: "unexpected_message",
  /** A record of another type arrived in the middle of a fragmented handshake message. */
  record_interleaved_with_handshake_message: "unexpected_message",
  /** A handshake message is split across a change of keys. */
  handshake_message_spans_key_change: "unexpected_message",
  /** ChangeCipherSpec after the handshake is over. */
  change_cipher_spec_after_handshake: "unexpected_message",
  /** ChangeCipherSpec before the ClientHello. */
  change_cipher_spec_before_client_hello: "unexpected_message",
  /** A ChangeCipherSpec record whose body is not the single byte 0x01. */
  invalid_change_cipher_spec: "unexpected_message",
  /** Too many records in a row that carry nothing. */
  too_many_empty_records: "unexpected_message",
  /** An alert record of zero length. */
  empty_alert_record: "unexpected_message",
  /** An alert record that is not 2 bytes. */
  alert_record_wrong_length: "decode_error",
  /** An alert whose level is neither warning nor fatal. */
  alert_unknown_level: "illegal_parameter",
  /** The client sent more 0-RTT data than max_early_data_size. */
  too_much_early_data: "unexpected_message",

  // Malformed messages (decode_error and its kin).
  /** A field runs past the end of its message or vector. */
  message_truncated: "decode_error",
  /** A vector is shorter than its minimum length. */
  vector_too_short: "decode_error",
  /** A vector of 2-byte items has an odd length. */
  vector_odd_length: "decode_error",
  /** Bytes follow the end of a message or structure. */
  trailing_bytes: "decode_error",
  /** A handshake message is longer than this side accepts. */
  handshake_message_too_large: "decode_error",
  /** legacy_session_id (or its echo) is longer than 32 bytes. */
  legacy_session_id_too_long: "decode_error",
  /** Finished verify_data is not the hash's length. */
  finished_wrong_length: "decode_error",
  /** EndOfEarlyData has a body. */
  end_of_early_data_not_empty: "decode_error",
  /** The server's server_name acknowledgement is not empty. */
  server_name_ack_not_empty: "decode_error",
  /** The server's early_data acknowledgement is not empty. */
  early_data_ack_not_empty: "decode_error",
  /** server_name holds a host_name that is not UTF-8. */
  server_name_not_utf8: "decode_error",
  /** The server's Certificate message is empty. */
  server_sent_no_certificate: "decode_error",
  /** An extension appears twice in one message. */
  duplicate_extension: "illegal_parameter",
  /** server_name holds more than one host_name. */
  server_name_multiple_host_names: "illegal_parameter",
  /** server_name holds a host_name that is not printable ASCII. */
  server_name_not_printable: "illegal_parameter",
  /** key_share holds two shares for one group. */
  duplicate_key_share: "illegal_parameter",
  /** pre_shared_key has not as many binders as identities. */
  psk_identities_binders_mismatch: "illegal_parameter",
  /** NewSessionTicket's lifetime exceeds 7 days. */
  ticket_lifetime_too_long: "illegal_parameter",
  /** KeyUpdate's request_update is neither 0 nor 1. */
  key_update_invalid_request: "illegal_parameter",

  // The peer broke the protocol.
  /** A handshake message of a type not expected at this point. */
  unexpected_handshake_message: "unexpected_message",
  /** A handshake message after the handshake that TLS 1.3 does not allow there. */
  handshake_message_after_handshake: "unexpected_message",
  /** The server sent a second HelloRetryRequest. */
  second_hello_retry_request: "unexpected_message",
  /** The peer sent more handshake bytes than the limit without completing the handshake. */
  handshake_too_long: "unexpected_message",
  /** Too many KeyUpdates in a row without application data. */
  too_many_key_updates: "unexpected_message",
  /** A reply carries an extension that was not offered. */
  unsolicited_extension: "unsupported_extension",
  /** A message carries an extension that does not belong in it. */
  extension_not_allowed: "illegal_parameter",
  /** A key share is not a valid public value of its group. */
  invalid_key_share: "illegal_parameter",
  /** The ClientHello's compression methods (or the ServerHello's) are not just null. */
  compression_not_null: "illegal_parameter",
  /** pre_shared_key is not the ClientHello's last extension. */
  psk_not_last_extension: "illegal_parameter",
  /** The client sent a key share for a group missing from its supported_groups. */
  key_share_group_not_supported: "illegal_parameter",
  /** The second ClientHello differs from the first beyond what the HelloRetryRequest asked. */
  retry_client_hello_changed: "illegal_parameter",
  /** The second ClientHello offers early data. */
  early_data_after_retry: "illegal_parameter",
  /** The second ClientHello does not hold exactly the one key share asked for. */
  retry_key_share_wrong: "illegal_parameter",
  /** The ServerHello's legacy_version is not 0x0303. */
  server_hello_legacy_version: "illegal_parameter",
  /** The ServerHello's legacy_session_id_echo is not the client's legacy_session_id. */
  session_id_echo_mismatch: "illegal_parameter",
  /** The server selected a version that was not offered. */
  selected_unoffered_version: "illegal_parameter",
  /** The server selected a cipher suite that was not offered. */
  selected_unoffered_cipher_suite: "illegal_parameter",
  /** The ServerHello's cipher suite differs from the HelloRetryRequest's. */
  cipher_suite_changed_after_retry: "illegal_parameter",
  /** The server selected a PSK that was not offered. */
  selected_unoffered_psk: "illegal_parameter",
  /** The server accepted a PSK with a suite whose hash is not the PSK's. */
  psk_suite_hash_mismatch: "illegal_parameter",
  /** The server accepted a psk_ke PSK with a key_share. */
  psk_ke_with_key_share: "illegal_parameter",
  /** The server accepted a psk_dhe_ke PSK without a key_share. */
  psk_dhe_ke_without_key_share: "missing_extension",
  /** The HelloRetryRequest asks for a group that was not offered. */
  retry_group_not_offered: "illegal_parameter",
  /** The HelloRetryRequest asks for a group that already had a key share. */
  retry_group_already_shared: "illegal_parameter",
  /** The HelloRetryRequest would not change the ClientHello. */
  retry_without_change: "illegal_parameter",
  /** The server's key share is for a group no share was sent for. */
  selected_unoffered_group: "illegal_parameter",
  /** The server chose an ALPN protocol that was not offered. */
  selected_unoffered_application_protocol: "illegal_parameter",
  /** The server accepted early data without the PSK, or with another ALPN protocol than the ticket's. */
  early_data_accepted_wrongly: "illegal_parameter",
  /** A CertificateRequest's context is not empty (during the handshake). */
  certificate_request_context_not_empty: "illegal_parameter",
  /** A Certificate's request context is not empty (during the handshake). */
  certificate_context_not_empty: "illegal_parameter",
  /** The peer signed with a scheme that was not offered. */
  signature_scheme_not_offered: "illegal_parameter",
  /** The peer signed with a scheme that does not fit its certificate's key. */
  signature_scheme_key_mismatch: "illegal_parameter",
  /** The CertificateVerify signature does not verify. */
  bad_certificate_verify_signature: "decrypt_error",
  /** The Finished verify_data does not match the handshake. */
  bad_finished: "decrypt_error",
  /** A PSK binder does not match the ClientHello. */
  bad_psk_binder: "decrypt_error",

  // The peer has nothing in common with this side, or lacks what it needs.
  /** legacy_version is SSL 3.0 or older. */
  legacy_version_too_old: "protocol_version",
  /** The client does not offer TLS 1.3. */
  client_lacks_tls13: "protocol_version",
  /** The server chose a version older than TLS 1.3. */
  server_chose_old_version: "protocol_version",
  /** No cipher suite in common. */
  no_common_cipher_suite: "handshake_failure",
  /** No group in common. */
  no_common_group: "handshake_failure",
  /** No signature scheme in common for this side's key. */
  no_common_signature_scheme: "handshake_failure",
  /** No ALPN protocol in common. */
  no_common_application_protocol: "no_application_protocol",
  /** The client offered no PSK this server holds, and the server has no certificate. */
  no_psk_and_no_certificate: "handshake_failure",
  /** The ClientHello has no supported_groups. */
  missing_supported_groups: "missing_extension",
  /** A hello has no key_share where one is required. */
  missing_key_share: "missing_extension",
  /** A ClientHello or CertificateRequest has no signature_algorithms. */
  missing_signature_algorithms: "missing_extension",
  /** pre_shared_key without psk_key_exchange_modes. */
  missing_psk_modes: "missing_extension",
  /** The second ClientHello does not echo the cookie. */
  retry_cookie_missing: "missing_extension",
  /** The client sent no certificate, and one is required. */
  client_certificate_required: "certificate_required",

  // Certificate refusals (RFC 5280 path validation, RFC 9525 names, pins).
  /** The peer sent an empty certificate chain where one is verified. */
  cert_chain_empty: "bad_certificate",
  /** A certificate cannot be parsed. */
  cert_unparseable: "bad_certificate",
  /** The leaf's public key is not one of the pinned keys. */
  cert_pin_mismatch: "bad_certificate",
  /** The leaf has no subjectAltName, so no name matches. */
  cert_no_subject_alt_name: "bad_certificate",
  /** The leaf is not valid for the server name or IP address. */
  cert_not_valid_for_name: "bad_certificate",
  /** A name is excluded by a CA's name constraints. */
  cert_name_excluded: "bad_certificate",
  /** A name is outside what a CA's name constraints permit. */
  cert_name_not_permitted: "bad_certificate",
  /** A name constraint of a form this validator cannot check applies. */
  cert_name_constraint_unsupported: "unsupported_certificate",
  /** Name constraints need more comparisons than the limit. */
  cert_name_constraints_gave_up: "certificate_unknown",
  /** No path reaches a trust anchor within the intermediates limit. */
  cert_path_too_long: "unknown_ca",
  /** A certificate is signed with an algorithm this validator refuses. */
  cert_signature_algorithm_refused: "unsupported_certificate",
  /** The CA with the issuer's name did not issue the certificate. */
  cert_issuer_mismatch: "unknown_ca",
  /** A certificate's signature does not verify with its issuer's key. */
  cert_bad_signature: "bad_certificate",
  /** A CA's pathLenConstraint is exceeded. */
  cert_path_len_exceeded: "bad_certificate",
  /** A self-signed certificate is not a trust anchor. */
  cert_self_signed_untrusted: "unknown_ca",
  /** A certificate's issuer is neither a trust anchor nor among the certificates sent. */
  cert_unknown_issuer: "unknown_ca",
  /** Path building needs more signature checks than the limit. */
  cert_path_search_gave_up: "certificate_unknown",
  /** An extension is malformed. */
  cert_malformed_extension: "bad_certificate",
  /** An extension appears more than once. */
  cert_duplicate_extension: "bad_certificate",
  /** A critical extension this validator does not understand. */
  cert_unknown_critical_extension: "unsupported_certificate",
  /** The certificate's public key is refused (type or size). */
  cert_key_refused: "unsupported_certificate",
  /** policyConstraints requires an explicit policy, which this validator does not process. */
  cert_requires_explicit_policy: "unsupported_certificate",
  /** extendedKeyUsage does not allow this purpose (serverAuth or clientAuth). */
  cert_wrong_purpose: "bad_certificate",
  /** The certificate is not valid yet. */
  cert_not_yet_valid: "certificate_expired",
  /** The certificate has expired. */
  cert_expired: "certificate_expired",
  /** The certificate is not version 3. */
  cert_not_v3: "bad_certificate",
  /** The serial number is negative, zero, too long or not minimally encoded. */
  cert_bad_serial: "bad_certificate",
  /** The issuer name is empty. */
  cert_empty_issuer: "bad_certificate",
  /** authorityKeyIdentifier is missing on a certificate that is not self-issued. */
  cert_missing_authority_key_id: "bad_certificate",
  /** authorityKeyIdentifier has no keyIdentifier. */
  cert_authority_key_id_without_key_id: "bad_certificate",
  /** A CA has no subjectKeyIdentifier. */
  cert_ca_missing_subject_key_id: "bad_certificate",
  /** A self-signed certificate's two key identifiers differ. */
  cert_self_signed_key_id_mismatch: "bad_certificate",
  /** An extension is marked critical, or not, against RFC 5280. */
  cert_extension_criticality: "bad_certificate",
  /** An issuer is not a CA (basicConstraints). */
  cert_issuer_not_ca: "bad_certificate",
  /** An issuer's keyUsage lacks keyCertSign. */
  cert_issuer_no_key_cert_sign: "bad_certificate",
  /** A CA has an empty subject. */
  cert_ca_empty_subject: "bad_certificate",
  /** A CA carries a malformed name constraint. */
  cert_malformed_name_constraint: "bad_certificate",
  /** The peer's own certificate is a CA certificate. */
  cert_leaf_is_ca: "bad_certificate",
  /** The leaf's keyUsage lacks digitalSignature. */
  cert_no_digital_signature: "bad_certificate",
  /** A certificate that is not a CA asserts keyCertSign. */
  cert_leaf_key_cert_sign: "bad_certificate",
  /** A certificate that is not a CA carries nameConstraints. */
  cert_leaf_name_constraints: "bad_certificate",
  /** An empty subject without a critical subjectAltName, or a critical one beside a subject. */
  cert_subject_alt_name_criticality: "bad_certificate",
  /** Only an external PSK is trusted, and the server declined it and sent a certificate. */
  cert_untrusted_without_psk: "certificate_unknown",

  // This side.
  /** The handshake did not complete within the configured time. */
  handshake_timeout: "user_canceled",
  /** The crypto provider does not implement a group this side offered. */
  group_not_implemented: "internal_error",
  /** A failure of this side's own (a bug, or a provider that failed). */
  internal_error: "internal_error",
} as const satisfies Record<string, AlertName>;

/** A `TlsError` code: a key of `TLS_ERROR_CODES`. */
export type TlsErrorCode = keyof typeof TLS_ERROR_CODES;

/** Every `ApiMisuseError` code: a call the library refuses, with no peer involved. */
export const API_MISUSE_CODES = [
  /** `write` before the handshake completed. */
  "write_before_handshake",
  /** `write` after `close`. */
  "write_after_close",
  /** `keyUpdate` before the handshake completed. */
  "key_update_before_handshake",
  /** `TicketKeys` without any key. */
  "ticket_keys_empty",
  /** A ticket key whose name or key has the wrong length. */
  "ticket_key_wrong_size",
  /** A signing key asked to sign with a scheme that does not fit it. */
  "key_cannot_sign_scheme",
  /** A hybrid group built over the wrong classical group. */
  "hybrid_group_mismatch",
  /** A leaf certificate requested without any name. */
  "certificate_needs_name",
  /** A validity that is not a positive number of days, or ends before it starts. */
  "invalid_validity",
  /** A name to certify that is neither a DNS name nor an IP address. */
  "invalid_certificate_name",
  /** A pin that is not `sha256//` and a base64 SHA-256. */
  "invalid_pin",
  /** A trust anchor that cannot be parsed. */
  "invalid_trust_anchor",
  /** A crypto provider without AES-256-GCM, which tickets are sealed with. */
  "ticket_aead_unavailable",
] as const;

/** An `ApiMisuseError` code. */
export type ApiMisuseCode = typeof API_MISUSE_CODES[number];
