/**
 * The official test vector of `Noise_NNpsk0_25519_AESGCM_SHA256` from the cacophony suite (as
 * shipped in mcginty/snow, `tests/vectors/cacophony.txt`), and the check that this runtime's
 * primitives reproduce it byte for byte and refuse a tampered message. Runtime versions exist
 * whose AES-GCM accepted any tag (denoland/deno#27733): the channel does not start on one.
 *
 * @module
 */
import { ConclaveError } from "../../errors.ts";
import type { CipherState } from "./cipher_state.ts";
import { Initiator, Responder } from "./handshake.ts";
import { hex } from "./primitives.ts";

export const VECTOR = {
  prologue: "4a6f686e2047616c74",
  psk: "54686973206973206d7920417573747269616e20706572737065637469766521",
  initEphemeral: "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a",
  respEphemeral: "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b",
  handshakeHash: "9f3b1f9afd7767767b5b9d1069844a6154fdbdcc36dfb3e31c0fffc5c973d530",
  messages: [
    [
      "4c756477696720766f6e204d69736573",
      "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c79447c37a89fc17813788d30df2d59501d6066f5f8aecc3406bbd9829f2d24a531b1",
    ],
    [
      "4d757272617920526f746862617264",
      "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f1448088432f29d79368ef9de4e1ae7a362fb05bf0ad668e026bf5714554497b3a720461",
    ],
    ["462e20412e20486179656b", "7c01e898a6201f36aecee532e29cd0b7f8ffa29d3366ad0dce39a6"],
    ["4361726c204d656e676572", "a9ff535aace3db6a1da1a7fb00fe2de2622bb373abad9fb42c00e0"],
    [
      "4a65616e2d426170746973746520536179",
      "6cfc49a3e65472edc2d0152abe5ce950170a8a47c959f30bd48b5f0aacf29adbfd",
    ],
    [
      "457567656e2042f6686d20766f6e2042617765726b",
      "9bc86e6d974ed21ba04604a94aa68de21677eb409ead070c0cd569b069ee19ba142aa4c1a9",
    ],
  ],
} as const;

/** One message of the run: what was sent, and what the other side read. */
export interface VectorRun {
  ciphertexts: string[];
  plaintexts: string[];
  handshakeHashes: [string, string];
}

const EMPTY = new Uint8Array(0);
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** Plays the vector's six messages through both sides, as the vector's own ephemerals dictate. */
export function runVector(): VectorRun {
  const v = VECTOR;
  const initiator = new Initiator(hex(v.prologue), hex(v.psk), hex(v.initEphemeral));
  const responder = new Responder(hex(v.prologue), hex(v.psk), hex(v.respEphemeral));
  const ciphertexts: string[] = [];
  const plaintexts: string[] = [];
  const m1 = initiator.writeMessage1(hex(v.messages[0][0]));
  ciphertexts.push(toHex(m1));
  plaintexts.push(toHex(responder.readMessage1(m1)));
  const written = responder.writeMessage2(hex(v.messages[1][0]));
  ciphertexts.push(toHex(written.message));
  const read = initiator.readMessage2(written.message);
  plaintexts.push(toHex(read.payload));
  // Transport messages alternate, initiator first, with empty associated data.
  const sides: [CipherState, CipherState][] = [
    [read.keys.send, written.keys.receive],
    [written.keys.send, read.keys.receive],
  ];
  v.messages.slice(2).forEach(([payload], i) => {
    const [send, receive] = sides[i % 2];
    const ciphertext = send.encryptWithAd(EMPTY, hex(payload));
    ciphertexts.push(toHex(ciphertext));
    plaintexts.push(toHex(receive.decryptWithAd(EMPTY, ciphertext)));
  });
  return {
    ciphertexts,
    plaintexts,
    handshakeHashes: [toHex(read.keys.handshakeHash), toHex(written.keys.handshakeHash)],
  };
}

let passed = false;

/**
 * The start-up self-test: the known answer, and a flipped bit refused. Throws
 * CHANNEL_ERR_CRYPTO_SELF_TEST when this runtime's crypto is unfit to protect the channel.
 */
export function selfTest(): void {
  if (passed) return;
  let problem: string | undefined;
  try {
    const run = runVector();
    const expected = VECTOR.messages.map(([, ciphertext]) => ciphertext as string);
    if (run.ciphertexts.join() !== expected.join()) problem = "a known answer differs";
    else if (run.plaintexts.join() !== VECTOR.messages.map(([p]) => p).join()) {
      problem = "a decryption differs";
    } else if (run.handshakeHashes.some((h) => h !== VECTOR.handshakeHash)) {
      problem = "the handshake hash differs";
    } else if (tamperAccepted()) problem = "AES-GCM accepted a tampered message";
  } catch (cause) {
    problem = `the primitives failed: ${(cause as Error).message}`;
  }
  if (problem) {
    throw new ConclaveError(
      "CHANNEL_ERR_CRYPTO_SELF_TEST",
      `The channel's crypto self-test failed on this runtime (${problem}); refusing to start the channel with a secret`,
    );
  }
  passed = true;
}

/** True if a message with one flipped bit (in its body, or in its tag) opens. */
function tamperAccepted(): boolean {
  const v = VECTOR;
  for (const at of [0, 27]) {
    const responder = new Responder(hex(v.prologue), hex(v.psk), hex(v.respEphemeral));
    const m1 = hex(v.messages[0][1]);
    m1[32 + at] ^= 1;
    try {
      responder.readMessage1(m1);
      return true;
    } catch {
      // refused, as it must be
    }
  }
  return false;
}
