import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Initiator, Responder } from "./handshake.ts";
import { runVector, selfTest, VECTOR } from "./known_answer.ts";
import { channelPsk } from "./psk.ts";
import { hex } from "./primitives.ts";

describe("Noise_NNpsk0_25519_AESGCM_SHA256", () => {
  it("reproduces the cacophony test vector byte for byte", () => {
    const run = runVector();
    assert.deepEqual(run.ciphertexts, VECTOR.messages.map(([, c]) => c));
    assert.deepEqual(run.plaintexts, VECTOR.messages.map(([p]) => p));
    assert.deepEqual(run.handshakeHashes, [VECTOR.handshakeHash, VECTOR.handshakeHash]);
  });

  it("passes the start-up self-test on this runtime", () => {
    assert.doesNotThrow(() => selfTest());
  });

  it("refuses message 1 under another key or another prologue", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 40 }),
        (pskA, pskB, prologueA, prologueB) => {
          const same = Buffer.from(pskA).equals(pskB) &&
            Buffer.from(prologueA).equals(prologueB);
          const message = new Initiator(prologueA, pskA).writeMessage1();
          const responder = new Responder(prologueB, pskB);
          if (same) assert.doesNotThrow(() => responder.readMessage1(message));
          else assert.throws(() => responder.readMessage1(message));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("refuses messages 1 and 2 with any byte altered", () => {
    const psk = hex(VECTOR.psk);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (at, flip, first) => {
        const initiator = new Initiator(new Uint8Array(0), psk);
        const m1 = initiator.writeMessage1();
        const responder = new Responder(new Uint8Array(0), psk);
        if (first) {
          m1[at % m1.length] ^= flip;
          assert.throws(() => responder.readMessage1(m1));
          return;
        }
        responder.readMessage1(m1);
        const { message } = responder.writeMessage2(new Uint8Array(16));
        message[at % message.length] ^= flip;
        assert.throws(() => initiator.readMessage2(message));
      }),
      { numRuns: 60 },
    );
  });

  it("derives the channel key from the secret under a label, never the secret itself", () => {
    const secret = "0123456789abcdef0123456789abcdef";
    assert.deepEqual(channelPsk(secret), channelPsk(secret));
    assert.notDeepEqual(channelPsk(secret), new TextEncoder().encode(secret));
    assert.notDeepEqual(channelPsk(secret), channelPsk(`${secret}x`));
    assert.equal(channelPsk(secret).length, 32);
  });
});
