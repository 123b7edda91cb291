/**
 * The Noise handshake `NNpsk0_25519_AESGCM_SHA256` (Noise spec sections 5 and 9):
 *
 * ```
 * -> psk, e
 * <- e, ee
 * ```
 * With psk0 the responder checks the initiator's first message with one HKDF and one AEAD open,
 * before any Diffie-Hellman: a party without the key costs it almost nothing. The ephemeral DH
 * gives forward secrecy. Payload of message 1 has neither forward secrecy nor replay protection
 * (Noise 7.7), so the channel sends it empty.
 *
 * @module
 */
import { CipherState } from "./cipher_state.ts";
import { concat, dh, DH_LEN, hkdf, type KeyPair, keyPair, sha256, TAG_LEN } from "./primitives.ts";

export const PROTOCOL_NAME = "Noise_NNpsk0_25519_AESGCM_SHA256";
/** Message 1 with an empty payload, and message 2 with a payload of `n` bytes. */
export const MESSAGE1_EMPTY_LEN = DH_LEN + TAG_LEN;
export const message2Len = (payload: number): number => DH_LEN + payload + TAG_LEN;

const EMPTY = new Uint8Array(0);

/** The two transport ciphers after Split(): `send` and `receive` from this side's view. */
export interface TransportKeys {
  send: CipherState;
  receive: CipherState;
  /** The handshake hash: a transcript digest both sides share. */
  handshakeHash: Uint8Array;
}

/** Noise's SymmetricState (section 5.2). */
class SymmetricState {
  ck: Uint8Array;
  h: Uint8Array;
  cipher = new CipherState();

  constructor(prologue: Uint8Array) {
    // The name is exactly HASHLEN (32) bytes, so it is used as it is, unpadded and unhashed.
    this.h = new TextEncoder().encode(PROTOCOL_NAME);
    this.ck = this.h;
    this.mixHash(prologue);
  }

  mixHash(data: Uint8Array): void {
    this.h = sha256(this.h, data);
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, k] = hkdf(this.ck, ikm, 2);
    this.ck = ck;
    this.cipher = new CipherState(k);
  }

  mixKeyAndHash(ikm: Uint8Array): void {
    const [ck, h, k] = hkdf(this.ck, ikm, 3);
    this.ck = ck;
    this.mixHash(h);
    this.cipher = new CipherState(k);
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.cipher.encryptWithAd(this.h, plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const plaintext = this.cipher.decryptWithAd(this.h, ciphertext);
    this.mixHash(ciphertext);
    return plaintext;
  }

  /** Split(): the initiator-to-responder cipher, then the responder-to-initiator one. */
  split(): [CipherState, CipherState] {
    const [k1, k2] = hkdf(this.ck, EMPTY, 2);
    return [new CipherState(k1), new CipherState(k2)];
  }

  /** The `e` token in a PSK handshake: hash the key, and mix it into the key too (Noise 9.2). */
  mixEphemeral(publicKey: Uint8Array): void {
    this.mixHash(publicKey);
    this.mixKey(publicKey);
  }
}

/** The dialling side. `ephemeral` (32 private bytes) is for test vectors only. */
export class Initiator {
  #state: SymmetricState;
  #psk: Uint8Array;
  #e: KeyPair;

  constructor(prologue: Uint8Array, psk: Uint8Array, ephemeral?: Uint8Array) {
    this.#state = new SymmetricState(prologue);
    this.#psk = psk;
    this.#e = keyPair(ephemeral);
  }

  writeMessage1(payload: Uint8Array = EMPTY): Uint8Array {
    const s = this.#state;
    s.mixKeyAndHash(this.#psk);
    s.mixEphemeral(this.#e.publicKey);
    return concat(this.#e.publicKey, s.encryptAndHash(payload));
  }

  /** Reads message 2; throws if it does not verify. */
  readMessage2(message: Uint8Array): { payload: Uint8Array; keys: TransportKeys } {
    if (message.length < DH_LEN + TAG_LEN) throw new Error("message 2 too short");
    const s = this.#state;
    const re = message.subarray(0, DH_LEN);
    s.mixEphemeral(re);
    s.mixKey(dh(this.#e, re));
    const payload = s.decryptAndHash(message.subarray(DH_LEN));
    const [send, receive] = s.split();
    return { payload, keys: { send, receive, handshakeHash: s.h } };
  }
}

/** The listening side. `ephemeral` (32 private bytes) is for test vectors only. */
export class Responder {
  #state: SymmetricState;
  #psk: Uint8Array;
  #ephemeral: Uint8Array | undefined;
  #re: Uint8Array | undefined;

  constructor(prologue: Uint8Array, psk: Uint8Array, ephemeral?: Uint8Array) {
    this.#state = new SymmetricState(prologue);
    this.#psk = psk;
    this.#ephemeral = ephemeral;
  }

  /** Reads message 1; throws if it does not verify (wrong key or prologue). No DH before that. */
  readMessage1(message: Uint8Array): Uint8Array {
    if (message.length < DH_LEN + TAG_LEN) throw new Error("message 1 too short");
    const s = this.#state;
    s.mixKeyAndHash(this.#psk);
    this.#re = message.subarray(0, DH_LEN);
    s.mixEphemeral(this.#re);
    return s.decryptAndHash(message.subarray(DH_LEN));
  }

  writeMessage2(payload: Uint8Array = EMPTY): { message: Uint8Array; keys: TransportKeys } {
    if (!this.#re) throw new Error("message 1 not read");
    const s = this.#state;
    const e = keyPair(this.#ephemeral);
    s.mixEphemeral(e.publicKey);
    s.mixKey(dh(e, this.#re));
    const message = concat(e.publicKey, s.encryptAndHash(payload));
    const [receive, send] = s.split();
    return { message, keys: { send, receive, handshakeHash: s.h } };
  }
}
