/**
 * What a dialler sends in clear before Noise message 1, fixed in size: magic, version, its member
 * id, and the id of the member it means to reach (zeros: whoever listens there, for a static
 * membership entry not heard from yet). The handshake's prologue is a label plus these bytes, so
 * ids, roles and version are bound into the keys: a reflected or rerouted handshake fails.
 *
 * @module
 */
import { UniqueId } from "../../interfaces/unique_id.ts";

export const PREAMBLE_LEN = 40;
export const CHANNEL_VERSION = 1;
const MAGIC = [0x43, 0x4e, 0x43, 0x4c]; // "CNCL"
const LABEL = new TextEncoder().encode("conclave/channel/NNpsk0/v1");
const ZERO_ID = new Uint8Array(16);

export interface Preamble {
  version: number;
  dialler: UniqueId;
  /** Undefined when the dialler did not know whom it reaches. */
  responder: UniqueId | undefined;
}

export function encodePreamble(dialler: UniqueId, responder: UniqueId | undefined): Uint8Array {
  const out = new Uint8Array(PREAMBLE_LEN);
  out.set(MAGIC, 0);
  out[4] = CHANNEL_VERSION;
  out.set(dialler.bytes, 8);
  out.set(responder?.bytes ?? ZERO_ID, 24);
  return out;
}

/** Parses the preamble, or says in a few words why it is not one. */
export function decodePreamble(bytes: Uint8Array): Preamble | string {
  if (bytes.length !== PREAMBLE_LEN || MAGIC.some((b, i) => bytes[i] !== b)) {
    return "not a channel handshake (does the dialler have the membership secret?)";
  }
  if (bytes[4] !== CHANNEL_VERSION || bytes[5] | bytes[6] | bytes[7]) {
    return `channel handshake version ${bytes[4]}; this node speaks ${CHANNEL_VERSION}`;
  }
  const responder = bytes.subarray(24, 40);
  return {
    version: bytes[4],
    dialler: new UniqueId(bytes.subarray(8, 24)),
    responder: isZero(responder) ? undefined : new UniqueId(responder),
  };
}

/** The Noise prologue: a fixed label, then the preamble as sent. */
export function prologue(preamble: Uint8Array): Uint8Array {
  const out = new Uint8Array(LABEL.length + preamble.length);
  out.set(LABEL, 0);
  out.set(preamble, LABEL.length);
  return out;
}

/** True for the all-zero id a dialler uses when it does not know whom it reaches. */
export function isZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}
