/**
 * CBOR encoding of channel payloads (cbor-x), configured for data only.
 *
 * cbor-x revives only data types here (Date, Map, Set, bigint, typed arrays; tag 27 only as
 * Error/RegExp), never arbitrary classes: unlike Tomcat's Java deserialisation, a peer's bytes
 * cannot instantiate code.
 *
 * @module
 */
import { Encoder } from "cbor-x";
import { ConclaveError } from "../errors.ts";

const codec = new Encoder({ useRecords: false, mapsAsObjects: true });

/** Encodes a value to CBOR; throws CHANNEL_ERR_PAYLOAD for what CBOR cannot carry. */
export function encodeValue(value: unknown): Uint8Array {
  try {
    return codec.encode(value);
  } catch (cause) {
    throw new ConclaveError("CHANNEL_ERR_PAYLOAD", "Cannot encode message as CBOR", { cause });
  }
}

/** Decodes one CBOR value; throws CHANNEL_ERR_PAYLOAD on malformed or trailing bytes. */
export function decodeValue(bytes: Uint8Array): unknown {
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
