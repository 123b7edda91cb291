/**
 * The channel's pre-shared key: HKDF-SHA256 (RFC 5869) of the membership `secret` under a label
 * of its own, so the raw secret (which also keys heartbeat MACs) never keys the channel.
 *
 * @module
 */
import { hmac } from "./primitives.ts";

const SALT = new TextEncoder().encode("conclave/channel-psk/v1");

/** 32 bytes: HKDF-Extract(salt = label, ikm = secret), then one Expand block with empty info. */
export function channelPsk(secret: string): Uint8Array {
  const prk = hmac(SALT, new TextEncoder().encode(secret));
  return hmac(prk, Uint8Array.of(1));
}
