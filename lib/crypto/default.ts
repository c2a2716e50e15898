/**
 * The provider used when a configuration names none: `webcrypto`, which
 * runs wherever WebCrypto does.
 *
 * @module
 */

import type { CryptoProvider } from "./provider.ts";
import { webcrypto } from "./webcrypto/mod.ts";

/** The default crypto provider. */
export const defaultProvider: CryptoProvider = webcrypto;
