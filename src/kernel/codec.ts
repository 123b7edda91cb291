/**
 * CBOR encoding of channel payloads (cbor-x), configured for data only.
 *
 * A peer's bytes are walked by `scanCbor` before cbor-x sees them, so only data comes back (SPEC
 * section 4 "Values"): no class instance, shared reference, record or big number beyond 64 bits,
 * and no more items and containers than `DEFAULT_SCAN_LIMITS`, which bound the decoding time. Unlike Tomcat's Java deserialisation, a peer's bytes
 * cannot instantiate code.
 *
 * @module
 */
import { Encoder } from "cbor-x";
import { ConclaveError } from "../errors.ts";
import { scanCbor } from "./cbor_scan.ts";

const codec = new Encoder({ useRecords: false, mapsAsObjects: true });

/** Encodes a value to CBOR; throws CHANNEL_ERR_PAYLOAD for what CBOR cannot carry. */
export function encodeValue(value: unknown): Uint8Array {
  try {
    return codec.encode(value);
  } catch (cause) {
    throw new ConclaveError("CHANNEL_ERR_PAYLOAD", "Cannot encode message as CBOR", { cause });
  }
}

/**
 * Decodes one CBOR value; throws CHANNEL_ERR_PAYLOAD on malformed or trailing bytes and on
 * anything but data.
 */
export function decodeValue(bytes: Uint8Array): unknown {
  scanCbor(bytes, "CHANNEL_ERR_PAYLOAD", "payload");
  try {
    return codec.decode(bytes);
  } catch (cause) {
    throw new ConclaveError(
      "CHANNEL_ERR_PAYLOAD",
      `Cannot decode a ${bytes.length}-byte CBOR payload`,
      {
        cause,
      },
    );
  }
}
