/**
 * Loading OpenSSL 3's libcrypto with `Deno.dlopen`, and the C functions this
 * provider calls, with their OpenSSL 3.0 signatures (`openssl/evp.h`,
 * `openssl/err.h`, `openssl/rand.h`, `openssl/x509.h`, `openssl/rsa.h`).
 * Every other file of this folder reaches libcrypto through `libcrypto()`.
 *
 * @module
 */

/** C `long` and `unsigned long`: 32 bits on Windows (LLP64), 64 elsewhere (LP64). */
const LONG = Deno.build.os === "windows" ? "i32" : "i64";
const ULONG = Deno.build.os === "windows" ? "u32" : "u64";

/** The functions used, as `Deno.dlopen` declares them. */
const SYMBOLS = {
  OpenSSL_version_num: { parameters: [], result: ULONG },
  OpenSSL_version: { parameters: ["i32"], result: "pointer" },
  ERR_get_error: { parameters: [], result: ULONG },
  ERR_error_string_n: { parameters: [ULONG, "buffer", "usize"], result: "void" },
  ERR_clear_error: { parameters: [], result: "void" },
  RAND_bytes: { parameters: ["buffer", "i32"], result: "i32" },

  EVP_MD_fetch: { parameters: ["pointer", "buffer", "pointer"], result: "pointer" },
  EVP_MD_CTX_new: { parameters: [], result: "pointer" },
  EVP_MD_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_MD_CTX_copy_ex: { parameters: ["pointer", "pointer"], result: "i32" },
  EVP_DigestInit_ex: { parameters: ["pointer", "pointer", "pointer"], result: "i32" },
  EVP_DigestUpdate: { parameters: ["pointer", "buffer", "usize"], result: "i32" },
  EVP_DigestFinal_ex: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },

  EVP_MAC_fetch: { parameters: ["pointer", "buffer", "pointer"], result: "pointer" },
  EVP_MAC_CTX_new: { parameters: ["pointer"], result: "pointer" },
  EVP_MAC_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_MAC_CTX_set_params: { parameters: ["pointer", "buffer"], result: "i32" },
  EVP_MAC_init: { parameters: ["pointer", "buffer", "usize", "pointer"], result: "i32" },
  EVP_MAC_update: { parameters: ["pointer", "buffer", "usize"], result: "i32" },
  EVP_MAC_final: { parameters: ["pointer", "buffer", "buffer", "usize"], result: "i32" },

  EVP_CIPHER_fetch: { parameters: ["pointer", "buffer", "pointer"], result: "pointer" },
  EVP_CIPHER_CTX_new: { parameters: [], result: "pointer" },
  EVP_CIPHER_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_CipherInit_ex: {
    parameters: ["pointer", "pointer", "pointer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  EVP_CipherUpdate: {
    parameters: ["pointer", "buffer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  EVP_CipherFinal_ex: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  EVP_CIPHER_CTX_ctrl: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },

  EVP_PKEY_CTX_new_from_name: {
    parameters: ["pointer", "buffer", "pointer"],
    result: "pointer",
  },
  EVP_PKEY_CTX_new_from_pkey: {
    parameters: ["pointer", "pointer", "pointer"],
    result: "pointer",
  },
  EVP_PKEY_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_PKEY_keygen_init: { parameters: ["pointer"], result: "i32" },
  EVP_PKEY_CTX_set_group_name: { parameters: ["pointer", "buffer"], result: "i32" },
  EVP_PKEY_generate: { parameters: ["pointer", "buffer"], result: "i32" },
  EVP_PKEY_free: { parameters: ["pointer"], result: "void" },
  EVP_PKEY_new_raw_private_key: {
    parameters: ["i32", "pointer", "buffer", "usize"],
    result: "pointer",
  },
  EVP_PKEY_new_raw_public_key: {
    parameters: ["i32", "pointer", "buffer", "usize"],
    result: "pointer",
  },
  EVP_PKEY_get_raw_public_key: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  EVP_PKEY_fromdata_init: { parameters: ["pointer"], result: "i32" },
  EVP_PKEY_fromdata: { parameters: ["pointer", "buffer", "i32", "buffer"], result: "i32" },
  EVP_PKEY_get_octet_string_param: {
    parameters: ["pointer", "buffer", "buffer", "usize", "buffer"],
    result: "i32",
  },
  EVP_PKEY_get_base_id: { parameters: ["pointer"], result: "i32" },
  EVP_PKEY_get_bits: { parameters: ["pointer"], result: "i32" },
  EVP_PKEY_get_size: { parameters: ["pointer"], result: "i32" },
  EVP_PKEY_get_group_name: {
    parameters: ["pointer", "buffer", "usize", "buffer"],
    result: "i32",
  },
  EVP_PKEY_derive_init: { parameters: ["pointer"], result: "i32" },
  EVP_PKEY_derive_set_peer_ex: { parameters: ["pointer", "pointer", "i32"], result: "i32" },
  EVP_PKEY_derive: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  d2i_PUBKEY: { parameters: ["pointer", "buffer", LONG], result: "pointer" },
  d2i_AutoPrivateKey: { parameters: ["pointer", "buffer", LONG], result: "pointer" },

  EVP_DigestSignInit: {
    parameters: ["pointer", "buffer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  EVP_DigestSign: {
    parameters: ["pointer", "buffer", "buffer", "buffer", "usize"],
    result: "i32",
  },
  EVP_DigestVerifyInit: {
    parameters: ["pointer", "buffer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  EVP_DigestVerify: {
    parameters: ["pointer", "buffer", "usize", "buffer", "usize"],
    result: "i32",
  },
  EVP_PKEY_CTX_set_rsa_padding: { parameters: ["pointer", "i32"], result: "i32" },
  EVP_PKEY_CTX_set_rsa_pss_saltlen: { parameters: ["pointer", "i32"], result: "i32" },
} as const;

/** The loaded library's functions. */
export type Libcrypto = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** The oldest libcrypto accepted: 3.0.0 (`OPENSSL_VERSION_NUMBER` 0x30000000). */
const MINIMUM_VERSION = 0x30000000n;

/**
 * libcrypto could not be loaded (not installed, wrong version, or no
 * `--allow-ffi`). The message says what was tried and names the way out.
 */
export class LibcryptoUnavailableError extends Error {
  /** The path or library name that was tried. */
  readonly path: string;

  constructor(
    path: string,
    reason: string,
    remedy = "install OpenSSL 3 or set HANDSHAKE_LIBCRYPTO to its libcrypto",
  ) {
    super(
      `cannot load OpenSSL 3's libcrypto (${path}): ${reason}; ${remedy}, or use --crypto webcrypto`,
    );
    this.name = "LibcryptoUnavailableError";
    this.path = path;
  }
}

/** The library name the platform's loader finds for OpenSSL 3. */
function defaultLibraryName(os: typeof Deno.build.os = Deno.build.os): string {
  switch (os) {
    case "darwin":
      return "libcrypto.3.dylib";
    case "windows":
      return "libcrypto-3-x64.dll";
    default:
      return "libcrypto.so.3";
  }
}

/**
 * Where libcrypto is looked for: `HANDSHAKE_LIBCRYPTO` if it is set (and may
 * be read), else the platform's name for OpenSSL 3's libcrypto.
 */
function libraryPath(): string {
  const permission = Deno.permissions.querySync({ name: "env", variable: "HANDSHAKE_LIBCRYPTO" });
  const fromEnv = permission.state === "granted" ? Deno.env.get("HANDSHAKE_LIBCRYPTO") : undefined;
  return fromEnv || defaultLibraryName();
}

let loaded: { path: string; symbols: Libcrypto; version: string } | undefined;

/** The two functions that say which library was opened. */
const VERSION_SYMBOLS = {
  OpenSSL_version_num: SYMBOLS.OpenSSL_version_num,
  OpenSSL_version: SYMBOLS.OpenSSL_version,
} as const;

/**
 * The functions of `SYMBOLS`, each bound by its own `Deno.dlopen` of the
 * already open library the first time it is used (Deno builds a trampoline
 * per symbol at binding: binding all of them cost 8–25 ms of a `connect`'s
 * start-up, and a client uses about two thirds of them).
 */
function lazySymbols(path: string): Libcrypto {
  const symbols = {} as Record<string, unknown>;
  for (const name of Object.keys(SYMBOLS) as (keyof typeof SYMBOLS)[]) {
    Object.defineProperty(symbols, name, {
      configurable: true,
      enumerable: true,
      get() {
        const fn = Deno.dlopen(path, { [name]: SYMBOLS[name] }).symbols[name];
        Object.defineProperty(symbols, name, { value: fn, enumerable: true });
        return fn;
      },
    });
  }
  return symbols as Libcrypto;
}

/** Opens libcrypto (once per process) and checks that it is OpenSSL 3. */
function open(): NonNullable<typeof loaded> {
  if (loaded) return loaded;
  const path = libraryPath();
  let lib: Deno.DynamicLibrary<typeof VERSION_SYMBOLS>;
  try {
    lib = Deno.dlopen(path, VERSION_SYMBOLS);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) {
      throw new LibcryptoUnavailableError(
        path,
        "loading it needs --allow-ffi",
        "run with --allow-ffi",
      );
    }
    const reason = (e as Error).message.replace(/\s+/g, " ").replace(
      /^(Could not open library: )+/,
      "",
    );
    throw new LibcryptoUnavailableError(
      path,
      reason.trim(),
      path === defaultLibraryName()
        ? undefined
        : "set HANDSHAKE_LIBCRYPTO to the path of OpenSSL 3's libcrypto",
    );
  }
  const number = BigInt(lib.symbols.OpenSSL_version_num());
  const text = Deno.UnsafePointerView.getCString(lib.symbols.OpenSSL_version(0)!);
  if (number < MINIMUM_VERSION) {
    lib.close();
    throw new LibcryptoUnavailableError(path, `it is ${text}, and OpenSSL 3.0 or later is needed`);
  }
  loaded = { path, symbols: lazySymbols(path), version: text };
  return loaded;
}

/** libcrypto's functions; throws LibcryptoUnavailableError if it cannot be loaded. */
export function libcrypto(): Libcrypto {
  return (loaded ?? open()).symbols;
}

/** The loaded library's version string, e.g. "OpenSSL 3.0.19 27 Jan 2026". */
export function libcryptoVersion(): string {
  return (loaded ?? open()).version;
}
