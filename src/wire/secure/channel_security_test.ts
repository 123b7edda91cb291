import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { UniqueId } from "../../interfaces/unique_id.ts";
import { ConclaveError } from "../../errors.ts";
import { systemClock } from "../../kernel/clock.ts";
import { nodeSockets } from "../../runtime/node_sockets.ts";
import type { StreamServer, StreamSocket } from "../../runtime/sockets.ts";
import { ManualClock } from "../../kernel/manual_clock.ts";
import {
  acceptSecure,
  type ChannelSecurity,
  channelSecurity,
  dialSecure,
} from "./channel_security.ts";
import { encodePreamble } from "./preamble.ts";
import type { SecureSocket } from "./secure_socket.ts";

const SECRET = "a-long-random-cluster-secret-0123456789";
const servers: StreamServer[] = [];
const sockets: StreamSocket[] = [];
after(async () => {
  for (const socket of sockets) socket.destroy();
  for (const server of servers) await server.close();
});

/** A loopback server whose connections go to `onSocket`; resolves its port. */
async function listen(onSocket: (socket: StreamSocket) => void): Promise<number> {
  const server = await nodeSockets.listen({ host: "127.0.0.1", port: 0 }, (socket) => {
    sockets.push(socket);
    onSocket(socket);
  });
  servers.push(server);
  return server.address.port;
}

async function connect(port: number): Promise<StreamSocket> {
  const socket = await nodeSockets.connect({ host: "127.0.0.1", port, timeoutMs: 3000 });
  sockets.push(socket);
  return socket;
}

function handshakeRefused(error: unknown): boolean {
  return error instanceof ConclaveError && error.code === "CHANNEL_ERR_HANDSHAKE";
}

/** A responder on loopback; `accepted` settles with the outcome of its one handshake. */
async function responder(security: ChannelSecurity) {
  let settle!: (result: Promise<SecureSocket>) => void;
  const accepted = new Promise<SecureSocket>((resolve) => settle = resolve);
  accepted.catch(() => {}); // awaited by each test after the dialler's outcome
  const port = await listen((socket) => settle(acceptSecure(socket, security)));
  return { port, accepted };
}

function readBytes(socket: StreamSocket, count: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let have = 0;
  return new Promise((resolve) => {
    socket.onData((chunk) => {
      chunks.push(chunk);
      have += chunk.length;
      if (have >= count) resolve(Buffer.concat(chunks));
    });
  });
}

/** Two ends with the same secret, handshake done. */
async function connectedPair() {
  const a = channelSecurity(SECRET, UniqueId.random(), systemClock);
  const b = channelSecurity(SECRET, UniqueId.random(), systemClock);
  const server = await responder(b);
  const dialled = await dialSecure(await connect(server.port), a, b.localId, 3000);
  return { a, b, dialled, accepted: await server.accepted };
}

describe("the channel handshake over loopback", () => {
  it("proves both ids and carries bytes both ways, a corked batch included", async () => {
    const { a, b, dialled, accepted } = await connectedPair();
    assert.ok(dialled.peerId.equals(b.localId));
    assert.ok(accepted.peerId.equals(a.localId));
    const there = readBytes(accepted, 3 + 70_000);
    dialled.cork();
    dialled.write(Uint8Array.of(1, 2, 3));
    dialled.write(new Uint8Array(70_000).fill(9));
    dialled.uncork();
    const got = await there;
    assert.deepEqual([...got.subarray(0, 4)], [1, 2, 3, 9]);
    assert.equal(got.length, 70_003);
    const back = readBytes(dialled, 2);
    accepted.write(Uint8Array.of(4, 5));
    assert.deepEqual([...await back], [4, 5]);
    dialled.destroy();
  });

  it("reports a full buffer while corked, and a drain always follows", async () => {
    const { dialled, accepted } = await connectedPair();
    const arrived = readBytes(accepted, 100_000);
    const drained = new Promise<void>((resolve) => dialled.onDrain(resolve));
    dialled.cork();
    assert.equal(dialled.write(new Uint8Array(1000)), true);
    assert.equal(dialled.write(new Uint8Array(99_000)), false);
    dialled.uncork();
    await drained;
    assert.equal((await arrived).length, 100_000);
    dialled.destroy();
  });

  it("refuses a dialler with another secret, on both sides", async () => {
    const a = channelSecurity(`${SECRET}!`, UniqueId.random(), systemClock);
    const b = channelSecurity(SECRET, UniqueId.random(), systemClock);
    const server = await responder(b);
    await assert.rejects(
      dialSecure(await connect(server.port), a, b.localId, 3000),
      handshakeRefused,
    );
    await assert.rejects(server.accepted, /does not prove the membership secret/);
  });

  it("refuses a connection meant for another member, and the dialler sees who did not answer", async () => {
    const a = channelSecurity(SECRET, UniqueId.random(), systemClock);
    const b = channelSecurity(SECRET, UniqueId.random(), systemClock);
    const server = await responder(b);
    const other = UniqueId.random();
    await assert.rejects(dialSecure(await connect(server.port), a, other, 3000), handshakeRefused);
    await assert.rejects(server.accepted, /meant member/);
  });

  it("with an all-zero id, accepts whoever answers and names it", async () => {
    const a = channelSecurity(SECRET, UniqueId.random(), systemClock);
    const b = channelSecurity(SECRET, UniqueId.random(), systemClock);
    const server = await responder(b);
    const anyone = new UniqueId(new Uint8Array(16));
    const dialled = await dialSecure(await connect(server.port), a, anyone, 3000);
    assert.ok(dialled.peerId.equals(b.localId));
    (await server.accepted).destroy();
    dialled.destroy();
  });

  it("refuses a dialler claiming the responder's own id (a reflection)", async () => {
    const b = channelSecurity(SECRET, UniqueId.random(), systemClock);
    const server = await responder(b);
    await assert.rejects(
      dialSecure(await connect(server.port), b, b.localId, 3000),
      handshakeRefused,
    );
    await assert.rejects(server.accepted, /reflection/);
  });

  it("refuses plain frames, and bytes sent before the handshake completed", async () => {
    const b = channelSecurity(SECRET, UniqueId.random(), systemClock);
    const plain = await responder(b);
    (await connect(plain.port)).write(new Uint8Array(88).fill(0));
    await assert.rejects(plain.accepted, /not a channel handshake/);
    const eager = await responder(b);
    const hello = new Uint8Array(89);
    hello.set(encodePreamble(UniqueId.random(), b.localId));
    (await connect(eager.port)).write(hello);
    await assert.rejects(eager.accepted, /before the handshake completed/);
  });

  it("gives up on a silent dialler at the deadline", async () => {
    const clock = new ManualClock();
    const b = channelSecurity(SECRET, UniqueId.random(), clock);
    const server = await responder(b);
    const socket = await connect(server.port);
    const closed = new Promise<void>((resolve) => socket.onClose(() => resolve()));
    await clock.advance(5000);
    await assert.rejects(server.accepted, /No channel handshake within 5000 ms/);
    await closed;
  });

  it("refuses a dialler whose responder never answers, at its own deadline", async () => {
    const clock = new ManualClock();
    const a = channelSecurity(SECRET, UniqueId.random(), clock);
    const port = await listen(() => {}); // accepts and says nothing
    const dialling = dialSecure(await connect(port), a, UniqueId.random(), 3000);
    const refused = assert.rejects(dialling, /No channel handshake within 3000 ms/);
    await clock.advance(3000);
    await refused;
  });
});
