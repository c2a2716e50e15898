/**
 * The error codes are an interface: every code maps to an alert through the
 * one table, codes are snake_case and unique, and the list only grows (this
 * snapshot changes only by adding codes; a renamed or removed code breaks
 * programs that match on it).
 */

import assert from "node:assert/strict";
import {
  ALERT_DESCRIPTIONS,
  AlertDescription,
  API_MISUSE_CODES,
  ApiMisuseError,
  TLS_ERROR_CODES,
  TlsError,
  type TlsErrorCode,
} from "../lib/errors.ts";

/** Every TlsError code and its alert, as released. */
const SNAPSHOT: [TlsErrorCode, string][] = [
  ["record_unknown_content_type", "unexpected_message"],
  ["record_bad_version", "decode_error"],
  ["record_overflow", "record_overflow"],
  ["plaintext_record_overflow", "record_overflow"],
  ["inner_plaintext_overflow", "record_overflow"],
  ["record_too_short_for_tag", "bad_record_mac"],
  ["bad_record_mac", "bad_record_mac"],
  ["record_only_padding", "unexpected_message"],
  ["plaintext_after_encryption", "unexpected_message"],
  ["unexpected_encrypted_content_type", "unexpected_message"],
  ["application_data_before_finished", "unexpected_message"],
  ["empty_handshake_record", "unexpected_message"],
  ["record_interleaved_with_handshake_message", "unexpected_message"],
  ["handshake_message_spans_key_change", "unexpected_message"],
  ["change_cipher_spec_after_handshake", "unexpected_message"],
  ["change_cipher_spec_before_client_hello", "unexpected_message"],
  ["invalid_change_cipher_spec", "unexpected_message"],
  ["too_many_empty_records", "unexpected_message"],
  ["empty_alert_record", "unexpected_message"],
  ["alert_record_wrong_length", "decode_error"],
  ["alert_unknown_level", "illegal_parameter"],
  ["too_much_early_data", "unexpected_message"],
  ["message_truncated", "decode_error"],
  ["vector_too_short", "decode_error"],
  ["vector_odd_length", "decode_error"],
  ["trailing_bytes", "decode_error"],
  ["handshake_message_too_large", "decode_error"],
  ["legacy_session_id_too_long", "decode_error"],
  ["finished_wrong_length", "decode_error"],
  ["end_of_early_data_not_empty", "decode_error"],
  ["server_name_ack_not_empty", "decode_error"],
  ["early_data_ack_not_empty", "decode_error"],
  ["server_name_not_utf8", "decode_error"],
  ["server_sent_no_certificate", "decode_error"],
  ["duplicate_extension", "illegal_parameter"],
  ["server_name_multiple_host_names", "illegal_parameter"],
  ["server_name_not_printable", "illegal_parameter"],
  ["duplicate_key_share", "illegal_parameter"],
  ["psk_identities_binders_mismatch", "illegal_parameter"],
  ["ticket_lifetime_too_long", "illegal_parameter"],
  ["key_update_invalid_request", "illegal_parameter"],
  ["unexpected_handshake_message", "unexpected_message"],
  ["handshake_message_after_handshake", "unexpected_message"],
  ["second_hello_retry_request", "unexpected_message"],
  ["handshake_too_long", "unexpected_message"],
  ["too_many_key_updates", "unexpected_message"],
  ["unsolicited_extension", "unsupported_extension"],
  ["extension_not_allowed", "illegal_parameter"],
  ["invalid_key_share", "illegal_parameter"],
  ["compression_not_null", "illegal_parameter"],
  ["psk_not_last_extension", "illegal_parameter"],
  ["key_share_group_not_supported", "illegal_parameter"],
  ["retry_client_hello_changed", "illegal_parameter"],
  ["early_data_after_retry", "illegal_parameter"],
  ["retry_key_share_wrong", "illegal_parameter"],
  ["server_hello_legacy_version", "illegal_parameter"],
  ["session_id_echo_mismatch", "illegal_parameter"],
  ["selected_unoffered_version", "illegal_parameter"],
  ["selected_unoffered_cipher_suite", "illegal_parameter"],
  ["cipher_suite_changed_after_retry", "illegal_parameter"],
  ["selected_unoffered_psk", "illegal_parameter"],
  ["psk_suite_hash_mismatch", "illegal_parameter"],
  ["psk_ke_with_key_share", "illegal_parameter"],
  ["psk_dhe_ke_without_key_share", "missing_extension"],
  ["retry_group_not_offered", "illegal_parameter"],
  ["retry_group_already_shared", "illegal_parameter"],
  ["retry_without_change", "illegal_parameter"],
  ["selected_unoffered_group", "illegal_parameter"],
  ["selected_unoffered_application_protocol", "illegal_parameter"],
  ["early_data_accepted_wrongly", "illegal_parameter"],
  ["certificate_request_context_not_empty", "illegal_parameter"],
  ["certificate_context_not_empty", "illegal_parameter"],
  ["signature_scheme_not_offered", "illegal_parameter"],
  ["signature_scheme_key_mismatch", "illegal_parameter"],
  ["bad_certificate_verify_signature", "decrypt_error"],
  ["bad_finished", "decrypt_error"],
  ["bad_psk_binder", "decrypt_error"],
  ["legacy_version_too_old", "protocol_version"],
  ["client_lacks_tls13", "protocol_version"],
  ["server_chose_old_version", "protocol_version"],
  ["no_common_cipher_suite", "handshake_failure"],
  ["no_common_group", "handshake_failure"],
  ["no_common_signature_scheme", "handshake_failure"],
  ["no_common_application_protocol", "no_application_protocol"],
  ["no_psk_and_no_certificate", "handshake_failure"],
  ["missing_supported_groups", "missing_extension"],
  ["missing_key_share", "missing_extension"],
  ["missing_signature_algorithms", "missing_extension"],
  ["missing_psk_modes", "missing_extension"],
  ["retry_cookie_missing", "missing_extension"],
  ["client_certificate_required", "certificate_required"],
  ["cert_chain_empty", "bad_certificate"],
  ["cert_unparseable", "bad_certificate"],
  ["cert_pin_mismatch", "bad_certificate"],
  ["cert_no_subject_alt_name", "bad_certificate"],
  ["cert_not_valid_for_name", "bad_certificate"],
  ["cert_name_excluded", "bad_certificate"],
  ["cert_name_not_permitted", "bad_certificate"],
  ["cert_name_constraint_unsupported", "unsupported_certificate"],
  ["cert_name_constraints_gave_up", "certificate_unknown"],
  ["cert_path_too_long", "unknown_ca"],
  ["cert_signature_algorithm_refused", "unsupported_certificate"],
  ["cert_issuer_mismatch", "unknown_ca"],
  ["cert_bad_signature", "bad_certificate"],
  ["cert_path_len_exceeded", "bad_certificate"],
  ["cert_self_signed_untrusted", "unknown_ca"],
  ["cert_unknown_issuer", "unknown_ca"],
  ["cert_path_search_gave_up", "certificate_unknown"],
  ["cert_malformed_extension", "bad_certificate"],
  ["cert_duplicate_extension", "bad_certificate"],
  ["cert_unknown_critical_extension", "unsupported_certificate"],
  ["cert_key_refused", "unsupported_certificate"],
  ["cert_requires_explicit_policy", "unsupported_certificate"],
  ["cert_wrong_purpose", "bad_certificate"],
  ["cert_not_yet_valid", "certificate_expired"],
  ["cert_expired", "certificate_expired"],
  ["cert_not_v3", "bad_certificate"],
  ["cert_bad_serial", "bad_certificate"],
  ["cert_empty_issuer", "bad_certificate"],
  ["cert_missing_authority_key_id", "bad_certificate"],
  ["cert_authority_key_id_without_key_id", "bad_certificate"],
  ["cert_ca_missing_subject_key_id", "bad_certificate"],
  ["cert_self_signed_key_id_mismatch", "bad_certificate"],
  ["cert_extension_criticality", "bad_certificate"],
  ["cert_issuer_not_ca", "bad_certificate"],
  ["cert_issuer_no_key_cert_sign", "bad_certificate"],
  ["cert_ca_empty_subject", "bad_certificate"],
  ["cert_malformed_name_constraint", "bad_certificate"],
  ["cert_leaf_is_ca", "bad_certificate"],
  ["cert_no_digital_signature", "bad_certificate"],
  ["cert_leaf_key_cert_sign", "bad_certificate"],
  ["cert_leaf_name_constraints", "bad_certificate"],
  ["cert_subject_alt_name_criticality", "bad_certificate"],
  ["cert_untrusted_without_psk", "certificate_unknown"],
  ["handshake_timeout", "user_canceled"],
  ["group_not_implemented", "internal_error"],
  ["internal_error", "internal_error"],
];

/** Every ApiMisuseError code, as released. */
const MISUSE_SNAPSHOT = [
  "write_before_handshake",
  "write_after_close",
  "key_update_before_handshake",
  "ticket_keys_empty",
  "ticket_key_wrong_size",
  "key_cannot_sign_scheme",
  "hybrid_group_mismatch",
  "certificate_needs_name",
  "invalid_validity",
  "invalid_certificate_name",
  "invalid_pin",
  "invalid_trust_anchor",
  "ticket_aead_unavailable",
];

Deno.test("error codes: the tables are the snapshots, code for code and alert for alert", () => {
  assert.deepEqual(Object.entries(TLS_ERROR_CODES), SNAPSHOT);
  assert.deepEqual([...API_MISUSE_CODES], MISUSE_SNAPSHOT);
});

Deno.test("error codes: every code is snake_case, unique, and maps to a known alert", () => {
  const codes = [...Object.keys(TLS_ERROR_CODES), ...API_MISUSE_CODES];
  assert.equal(new Set(codes).size, codes.length, "a code appears twice");
  for (const code of codes) assert.match(code, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, code);
  for (const [code, alert] of Object.entries(TLS_ERROR_CODES)) {
    assert.ok(alert in ALERT_DESCRIPTIONS, `${code}: ${alert} is no alert`);
    assert.notEqual(alert, "close_notify", `${code} would end the connection cleanly`);
  }
});

Deno.test("error codes: certificate refusals are the cert_ codes, the only ones with a certificate alert", () => {
  // `connect` says "server certificate refused" for a cert_ code.
  const certificateAlerts = [
    "bad_certificate",
    "unsupported_certificate",
    "certificate_expired",
    "certificate_unknown",
    "unknown_ca",
  ];
  for (const [code, alert] of Object.entries(TLS_ERROR_CODES)) {
    assert.equal(code.startsWith("cert_"), certificateAlerts.includes(alert), `${code}: ${alert}`);
  }
});

Deno.test("error codes: a TlsError takes its alert from the table, and keeps its message", () => {
  for (const [code, alert] of Object.entries(TLS_ERROR_CODES)) {
    const e = new TlsError(code as TlsErrorCode, `failed: ${code}`);
    assert.equal(e.code, code);
    assert.equal(e.alert, AlertDescription[alert as keyof typeof ALERT_DESCRIPTIONS]);
    assert.equal(e.alertName, alert);
    assert.equal(e.message, `failed: ${code}`);
  }
});

Deno.test("error codes: API misuse is an ApiMisuseError with its code, not a TlsError", () => {
  const e = new ApiMisuseError("write_before_handshake", "not yet");
  assert.equal(e.code, "write_before_handshake");
  assert.equal(e.name, "ApiMisuseError");
  assert.ok(!(e instanceof TlsError));
  assert.ok(API_MISUSE_CODES.includes(e.code));
});

/** The code of every TypeScript file under `dir`, without its comments. */
async function codeUnder(dir: URL): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) out.push(...await codeUnder(url));
    else if (entry.name.endsWith(".ts")) {
      out.push(
        (await Deno.readTextFile(url)).replace(/\/\*[\s\S]*?\*\//g, "").replace(
          /(^|\s)\/\/.*$/gm,
          "",
        ),
      );
    }
  }
  return out;
}

Deno.test("error codes: every code in the tables is raised somewhere in lib/ or cli/, so none is dead", async () => {
  const code = [
    ...await codeUnder(new URL("../lib/", import.meta.url)),
    ...await codeUnder(new URL("../cli/", import.meta.url)),
  ].join("\n")
    // The table itself names every code.
    .replace(/export const TLS_ERROR_CODES = \{[\s\S]*?\n\}/, "")
    .replace(/export const API_MISUSE_CODES = \[[\s\S]*?\n\]/, "");
  const unused = [...Object.keys(TLS_ERROR_CODES), ...API_MISUSE_CODES]
    .filter((c) => !code.includes(`"${c}"`));
  assert.deepEqual(unused, [], `codes in the tables that nothing raises: ${unused.join(", ")}`);
});
