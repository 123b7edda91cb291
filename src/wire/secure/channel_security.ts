/**
 * The handshake that opens every channel connection when the membership has a `secret`: Noise
 * NNpsk0 over a fixed-size clear preamble (see `preamble.ts`), then the record layer.
 *
 * Dialler: `preamble (40) | message 1 (48)`, then waits for message 2 (64) whose payload is the
 * responder's id, encrypted. Responder: reads exactly 88 bytes, checks the preamble names it (or
 * no one) and not itself as the dialler, verifies message 1 (no DH before that), answers. Both sides
 * give up at a deadline; a responder never holds more than those 88 bytes for an unproven peer.
 *
 * @module
 */
import type { Cancel, Clock } from "../../interfaces/clock.ts";
import { UniqueId } from "../../interfaces/unique_id.ts";
import { ConclaveError } from "../../errors.ts";
import type { StreamSocket } from "../../runtime/sockets.ts";
import {
  Initiator,
  MESSAGE1_EMPTY_LEN,
  message2Len,
  Responder,
  type TransportKeys,
} from "../noise/handshake.ts";
import { selfTest } from "../noise/known_answer.ts";
import { channelPsk } from "../noise/psk.ts";
import { decodePreamble, encodePreamble, isZero, PREAMBLE_LEN, prologue } from "./preamble.ts";
import { SecureSocket, tap, type Taps } from "./secure_socket.ts";

/** How long a responder waits for a dialler's handshake. */
export const HANDSHAKE_TIMEOUT = 5000;
/** Connections a receiver lets sit in their handshake at once; more are closed at once. */
export const MAX_PENDING_HANDSHAKES = 64;

const HELLO_LEN = PREAMBLE_LEN + MESSAGE1_EMPTY_LEN;
const REPLY_LEN = message2Len(16);

/** What both ends of a protected channel need: the key, who this node is, and a clock. */
export interface ChannelSecurity {
  readonly psk: Uint8Array;
  readonly localId: UniqueId;
  readonly clock: Clock;
}

/**
 * The security of a node whose membership has `secret`. Runs the crypto self-test first, once per
 * process: throws CHANNEL_ERR_CRYPTO_SELF_TEST on a runtime whose AES-GCM cannot be trusted.
 */
export function channelSecurity(secret: string, localId: UniqueId, clock: Clock): ChannelSecurity {
  selfTest();
  return { psk: channelPsk(secret), localId, clock };
}

function handshakeError(message: string, cause?: unknown): ConclaveError {
  return new ConclaveError("CHANNEL_ERR_HANDSHAKE", message, { cause });
}

/**
 * A connection closed before sending a byte: a reachability probe (TcpFailureDetector connects
 * and closes), not an attempt with a wrong secret. Still counted, not worth a warning.
 */
export class HandshakeAbandoned extends ConclaveError {
  constructor() {
    super("CHANNEL_ERR_HANDSHAKE", "The peer closed the connection before any handshake byte");
    this.name = "HandshakeAbandoned";
  }
}

/**
 * Reads exactly `length` bytes from the taps, or fails on close or at the deadline. `strict`
 * refuses any byte beyond them (the peer must wait for our answer); otherwise they are returned.
 */
function readExactly(
  taps: Taps,
  length: number,
  clock: Clock,
  timeout: number,
  strict: boolean,
): Promise<{ bytes: Uint8Array; rest: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const buffer = new Uint8Array(length);
    let have = 0;
    let settled = false;
    const finish = (error?: Error, rest?: Uint8Array) => {
      if (settled) return;
      settled = true;
      cancel();
      taps.data = () => {};
      if (error) reject(error);
      else resolve({ bytes: buffer, rest: rest ?? new Uint8Array(0) });
    };
    const cancel: Cancel = clock.setTimeout(
      () => finish(handshakeError(`No channel handshake within ${timeout} ms`)),
      timeout,
    );
    taps.close = (error) =>
      finish(
        have === 0 && strict ? new HandshakeAbandoned() : handshakeError(
          `The peer closed the connection during the channel handshake${
            error ? ` (${error.message})` : ""
          }: does it have the same membership secret?`,
          error,
        ),
      );
    taps.data = (chunk) => {
      const take = Math.min(length - have, chunk.length);
      buffer.set(chunk.subarray(0, take), have);
      have += take;
      if (have < length) return;
      if (strict && chunk.length > take) {
        finish(handshakeError("The dialler sent data before the handshake completed"));
      } else finish(undefined, chunk.subarray(take));
    };
  });
}

/**
 * Opens the dialler's side on a connected socket. `expected` is the member dialled; an all-zero id
 * means "whoever listens there". Rejects with CHANNEL_ERR_HANDSHAKE (the socket destroyed).
 */
export async function dialSecure(
  raw: StreamSocket,
  security: ChannelSecurity,
  expected: UniqueId,
  timeout: number,
): Promise<SecureSocket> {
  const taps = tap(raw);
  const intended = isZero(expected.bytes) ? undefined : expected;
  const preamble = encodePreamble(security.localId, intended);
  const initiator = new Initiator(prologue(preamble), security.psk);
  const hello = new Uint8Array(HELLO_LEN);
  hello.set(preamble, 0);
  hello.set(initiator.writeMessage1(), PREAMBLE_LEN);
  const reading = readExactly(taps, REPLY_LEN, security.clock, timeout, false);
  raw.write(hello);
  try {
    const { bytes, rest } = await reading;
    let read: { payload: Uint8Array; keys: TransportKeys };
    try {
      read = initiator.readMessage2(bytes);
    } catch (cause) {
      throw handshakeError("The responder's handshake answer did not verify", cause);
    }
    if (read.payload.length !== 16) throw handshakeError("The responder sent no member id");
    const responder = new UniqueId(read.payload);
    if (intended && !responder.equals(intended)) {
      throw handshakeError(
        `Dialled member ${intended.hex}, but ${responder.hex} answered; connection closed`,
      );
    }
    const socket = new SecureSocket(raw, taps, read.keys, responder);
    if (rest.length > 0) taps.data(rest);
    return socket;
  } catch (error) {
    raw.destroy();
    throw error;
  }
}

/** Opens the responder's side. Rejects with CHANNEL_ERR_HANDSHAKE (the socket destroyed). */
export async function acceptSecure(
  raw: StreamSocket,
  security: ChannelSecurity,
  timeout = HANDSHAKE_TIMEOUT,
): Promise<SecureSocket> {
  const taps = tap(raw);
  try {
    const { bytes } = await readExactly(taps, HELLO_LEN, security.clock, timeout, true);
    const preambleBytes = bytes.subarray(0, PREAMBLE_LEN);
    const preamble = decodePreamble(preambleBytes);
    if (typeof preamble === "string") throw handshakeError(`Refused: ${preamble}`);
    if (preamble.dialler.equals(security.localId)) {
      throw handshakeError("Refused: the dialler claims this node's own id (a reflection)");
    }
    if (preamble.responder && !preamble.responder.equals(security.localId)) {
      throw handshakeError(`Refused: the dialler meant member ${preamble.responder.hex}`);
    }
    const responder = new Responder(prologue(preambleBytes), security.psk);
    try {
      responder.readMessage1(bytes.subarray(PREAMBLE_LEN));
    } catch (cause) {
      throw handshakeError("Refused: the handshake does not prove the membership secret", cause);
    }
    const { message, keys } = responder.writeMessage2(security.localId.bytes);
    // Taps first: the dialler may answer as soon as message 2 leaves.
    const socket = new SecureSocket(raw, taps, keys, preamble.dialler);
    raw.write(message);
    return socket;
  } catch (error) {
    raw.destroy();
    throw error;
  }
}
