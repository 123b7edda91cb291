/**
 * The primitives of `Noise_*_25519_AESGCM_SHA256` on `node:crypto`, in the forms that behave the
 * same on Node, Deno and Bun (see the channel-security notes): X25519 keys through DER, SHA-256,
 * Noise's HKDF as an HMAC chain (`hkdfSync` is missing in older Bun), AES-256-GCM with a 16-byte tag.
 *
 * @module
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type KeyObject,
  randomBytes,
} from "node:crypto";

export const DH_LEN = 32;
export const HASH_LEN = 32;
export const TAG_LEN = 16;

const PKCS8_X25519 = hex("302e020100300506032b656e04220420");
const SPKI_X25519 = hex("302a300506032b656e032100");

/** An X25519 key pair: the private key object and the 32-byte raw public key. */
export interface KeyPair {
  privateKey: KeyObject;
  publicKey: Uint8Array;
}

/** A key pair from 32 private bytes (random unless given, as the test vectors do). */
export function keyPair(secret: Uint8Array = randomBytes(DH_LEN)): KeyPair {
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_X25519, secret]),
    format: "der",
    type: "pkcs8",
  });
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return { privateKey, publicKey: new Uint8Array(spki.subarray(SPKI_X25519.length)) };
}

/** X25519(private, peer public): 32 bytes; throws on a key the runtime refuses (low order). */
export function dh(own: KeyPair, peerPublic: Uint8Array): Uint8Array {
  const publicKey = createPublicKey({
    key: Buffer.concat([SPKI_X25519, peerPublic]),
    format: "der",
    type: "spki",
  });
  return new Uint8Array(diffieHellman({ privateKey: own.privateKey, publicKey }));
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

export function hmac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const mac = createHmac("sha256", key);
  for (const part of parts) mac.update(part);
  return new Uint8Array(mac.digest());
}

/** Noise's HKDF (section 4.3): two or three 32-byte outputs of `ikm` under chaining key `ck`. */
export function hkdf(ck: Uint8Array, ikm: Uint8Array, outputs: 2 | 3): Uint8Array[] {
  const temp = hmac(ck, ikm);
  const out1 = hmac(temp, Uint8Array.of(1));
  const out2 = hmac(temp, out1, Uint8Array.of(2));
  if (outputs === 2) return [out1, out2];
  return [out1, out2, hmac(temp, out2, Uint8Array.of(3))];
}

/**
 * The 12-byte AES-GCM nonce of counter `n`: 4 zero bytes, then `n` as a 64-bit big-endian; written
 * into `into` when given (a scratch: the cipher copies its IV when it is created).
 */
export function nonce(n: number, into: Uint8Array = new Uint8Array(12)): Uint8Array {
  const high = Math.floor(n / 2 ** 32);
  const low = n >>> 0;
  into[0] =
    into[1] =
    into[2] =
    into[3] =
      0;
  into[4] = high >>> 24;
  into[5] = (high >>> 16) & 0xff;
  into[6] = (high >>> 8) & 0xff;
  into[7] = high & 0xff;
  into[8] = low >>> 24;
  into[9] = (low >>> 16) & 0xff;
  into[10] = (low >>> 8) & 0xff;
  into[11] = low & 0xff;
  return into;
}

/** AES-GCM's options, the same object for every cipher (one allocation less per record). */
const GCM = Object.freeze({ authTagLength: TAG_LEN });

/** AES-256-GCM of `parts` back to back: the ciphertext pieces, then the 16-byte tag. */
export function seal(
  key: Uint8Array,
  iv: Uint8Array,
  ad: Uint8Array,
  parts: readonly Uint8Array[],
): Uint8Array[] {
  const cipher = createCipheriv("aes-256-gcm", key, iv, GCM);
  cipher.setAAD(ad);
  const out: Uint8Array[] = [];
  for (const part of parts) out.push(cipher.update(part));
  const last = cipher.final();
  if (last.length > 0) out.push(last);
  out.push(cipher.getAuthTag());
  return out;
}

/**
 * Opens `ciphertext || tag` (`sealed[start, end)`); throws when the tag does not verify. Nothing
 * is released before.
 */
export function open(
  key: Uint8Array,
  iv: Uint8Array,
  ad: Uint8Array,
  sealed: Uint8Array,
  start = 0,
  end = sealed.length,
): Uint8Array {
  if (end - start < TAG_LEN) throw new Error("ciphertext shorter than its tag");
  const decipher = createDecipheriv("aes-256-gcm", key, iv, GCM);
  decipher.setAAD(ad);
  decipher.setAuthTag(sealed.subarray(end - TAG_LEN, end));
  const body = decipher.update(sealed.subarray(start, end - TAG_LEN));
  const last = decipher.final(); // throws on a bad tag
  return last.length === 0 ? body : Buffer.concat([body, last]);
}

export function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "hex"));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}
