/**
 * The attacks of issue 13 on a two-node cluster with a membership `secret`, over loopback: a
 * party that knows the envelope format but not the secret connects to a receiver under a made-up
 * member record. Each test fails on a node that trusts any sender (before the channel handshake).
 */
import assert from "node:assert/strict";
import { freePorts } from "../helpers/ports.ts";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Member } from "../../src/interfaces/member.ts";
import { SendOptions } from "../../src/interfaces/message.ts";
import { UniqueId } from "../../src/interfaces/unique_id.ts";
import { encodeValue } from "../../src/kernel/codec.ts";
import { systemClock } from "../../src/kernel/clock.ts";
import { loadConfig } from "../../src/kernel/config/load.ts";
import { captureLogger } from "../../src/testing/capture_logger.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { type ClusterNode, startNode } from "../../src/node/node.ts";
import { seesAMember } from "../../src/testing/memory_config.ts";
import { nodeSockets } from "../../src/runtime/node_sockets.ts";
import type { StreamSocket } from "../../src/runtime/sockets.ts";
import { tcpMember } from "../../src/testing/tcp_harness.ts";
import { decodeHeader, encodeMessageHeader, type Envelope } from "../../src/wire/envelope.ts";
import { encodeFrame, FrameDecoder } from "../../src/wire/frame.ts";
import { channelSecurity, dialSecure } from "../../src/wire/secure/channel_security.ts";

const SECRET = "issue-13-attacks-0123456789abcdef0123456789abcdef";
const SYNC = SendOptions.USE_ACK | SendOptions.SYNCHRONIZED_ACK;

function config(jvmRoute: string, port: number, ports: number[]) {
  return loadConfig({
    jvmRoute,
    apps: [{ path: "/", module: "./library-mode", distributable: true }],
    cluster: {
      className: "SimpleTcpCluster",
      channelSendOptions: 6,
      channel: {
        className: "GroupChannel",
        membership: {
          className: "StaticMembershipService",
          members: ports.map((p) => ({ host: "127.0.0.1", port: p })),
          secret: SECRET,
          frequency: 100,
          dropTime: 3000,
        },
        receiver: { className: "NioReceiver", address: "127.0.0.1", port, autoBind: 1 },
        sender: { className: "ReplicationTransmitter" },
        interceptors: [],
      },
    },
  });
}

/**
 * A raw connection speaking the envelope in clear, as the attacker of the issue did; or, given
 * `as`, one that holds the secret and completes the handshake as member id `as` (to `target`).
 */
async function attacker(port: number, as?: { id: UniqueId; target: UniqueId }) {
  const raw = await nodeSockets.connect({ host: "127.0.0.1", port, timeoutMs: 3000 });
  const socket = as
    ? await dialSecure(raw, channelSecurity(SECRET, as.id, systemClock), as.target, 3000)
    : raw;
  const replies: Envelope[] = [];
  let seq = 0;
  const decoder = new FrameDecoder(1 << 20, (header) => replies.push(decodeHeader(header)));
  let answered!: () => void;
  const replied = new Promise<void>((resolve) => answered = resolve);
  socket.onData((chunk) => {
    decoder.push(chunk);
    if (replies.length > 0) answered();
  });
  const closed = new Promise<void>((resolve) => socket.onClose(() => resolve()));
  return {
    socket,
    replies,
    /** Resolves with "closed" or "replied", whichever the node does first. */
    outcome: Promise.race([closed.then(() => "closed"), replied.then(() => "replied")]),
    send(member: Member, value: unknown) {
      const header = encodeMessageHeader(++seq, SYNC, Date.now(), UniqueId.random(), member);
      socket.write(encodeFrame(header, encodeValue(value)));
    },
  };
}

function findSession(node: ClusterNode, id: string) {
  return node.managers.get("/")?.findSession(id);
}

describe("a non-member without the secret, against a cluster with one", () => {
  const nodes: ClusterNode[] = [];
  const sockets: StreamSocket[] = [];
  let ports: number[];
  let sessionId: string;
  /** The delta n1 replicated to n2 when the session was created, as n2 decoded it. */
  let captured: { ctx: string; d: { attrs: unknown[][]; meta: [number, string] } };
  const logs = captureLogger();

  before(async () => {
    ports = await freePorts(2);
    const seen: Promise<void>[] = [];
    for (const [i, route] of ["n1", "n2"].entries()) {
      const node = await startNode(config(route, ports[i], ports), {
        logger: route === "n2" ? logs.logger : silentLogger(),
      });
      nodes.push(node);
      seen.push(seesAMember(node));
    }
    await Promise.all(seen);
    const [n1, n2] = nodes;
    n2.channel.addChannelListener({
      accept: (value) => (value as { t?: string }).t === "delta",
      messageReceived: (value) => void (captured = value as typeof captured),
    });
    const manager = n1.managers.get("/");
    assert.ok(manager);
    const session = manager.createSession();
    session.attributes.set("user", "alice");
    sessionId = session.id;
    await manager.requestCompleted(session.id); // use_ack+sync: applied on n2 when it resolves
    assert.equal(findSession(n2, sessionId)?.attributes.get("user"), "alice");
  });

  after(async () => {
    for (const socket of sockets) socket.destroy();
    for (const node of nodes) await node.stop();
  });

  it("sends a delta under a made-up member record: no session changes", async () => {
    const n2 = nodes[1];
    const intruder = await attacker(ports[1]);
    sockets.push(intruder.socket);
    const [counter, node] = captured.d.meta;
    const forged = {
      ...captured,
      d: {
        ...captured.d,
        meta: [counter + 100, node],
        attrs: [["user", "mallory", [counter + 100, node]]],
      },
    };
    intruder.send(tcpMember("127.0.0.1", 1), forged);
    const outcome = await intruder.outcome; // a sync ack would mean: processed
    assert.equal(findSession(n2, sessionId)?.attributes.get("user"), "alice");
    assert.equal(outcome, "closed");
    assert.deepEqual(intruder.replies, []);
    assert.ok(logs.lines.some((l) => l.code === "CHANNEL_ERR_HANDSHAKE"), "the refusal is logged");
  });

  it("sends state? naming its own port: the node neither connects back nor streams sessions", async () => {
    let connectedBack!: () => void;
    const back = new Promise<string>((resolve) => connectedBack = () => resolve("connected back"));
    const listener = createServer((socket) => {
      connectedBack();
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    const port = (listener.address() as { port: number }).port;
    try {
      const intruder = await attacker(ports[1]);
      sockets.push(intruder.socket);
      intruder.send(tcpMember("127.0.0.1", port), {
        cdm: 1,
        ctx: captured.ctx,
        t: "state?",
        q: "x",
      });
      const first = await Promise.race([intruder.outcome.then(() => "closed"), back]);
      assert.equal(first, "closed");
      assert.deepEqual(intruder.replies, []);
    } finally {
      listener.close();
    }
  });

  it("sends gone for a victim's session: the session lives on, on both nodes", async () => {
    const intruder = await attacker(ports[1]);
    sockets.push(intruder.socket);
    const gone = { cdm: 1, ctx: captured.ctx, t: "gone", id: sessionId, v: captured.d.meta };
    intruder.send(tcpMember("127.0.0.1", 1), gone);
    const outcome = await intruder.outcome;
    for (const node of nodes) assert.ok(findSession(node, sessionId), `${node.jvmRoute} keeps it`);
    assert.equal(outcome, "closed");
  });
});

describe("a peer holding the secret, against the same cluster", () => {
  const nodes: ClusterNode[] = [];
  const sockets: StreamSocket[] = [];
  let ports: number[];
  let ctx: string;

  before(async () => {
    ports = await freePorts(2);
    const seen: Promise<void>[] = [];
    for (const [i, route] of ["n1", "n2"].entries()) {
      const node = await startNode(config(route, ports[i], ports), { logger: silentLogger() });
      nodes.push(node);
      seen.push(seesAMember(node));
    }
    await Promise.all(seen);
    ctx = [...nodes[0].managers.values()][0].name;
  });

  after(async () => {
    for (const socket of sockets) socket.destroy();
    for (const node of nodes) await node.stop();
  });

  /** n2's id as n1 sees it: the id a dialler must name to reach n2. */
  const n2Id = () => nodes[0].members()[0].id;

  it("is cut off when its messages name another member than its handshake proved", async () => {
    const intruder = await attacker(ports[1], { id: UniqueId.random(), target: n2Id() });
    sockets.push(intruder.socket);
    const n1 = nodes[1].members()[0];
    intruder.send(n1, { cdm: 1, ctx, t: "state?", q: "x" });
    assert.equal(await intruder.outcome, "closed");
    assert.deepEqual(intruder.replies, []);
  });

  it("is answered CHANNEL_ERR_NOT_MEMBER, and changes nothing, while not a current member", async () => {
    const id = UniqueId.random();
    const intruder = await attacker(ports[1], { id, target: n2Id() });
    sockets.push(intruder.socket);
    const record = { ...tcpMember("127.0.0.1", ports[1]), id };
    const before = nodes[1].managers.get("/")?.sessionCount;
    intruder.send(record, { cdm: 1, ctx, t: "gone", id: "x", v: [1, "x"] });
    assert.equal(await intruder.outcome, "replied");
    const [reply] = intruder.replies;
    assert.equal(reply.type === 3 && reply.code, "CHANNEL_ERR_NOT_MEMBER");
    assert.equal(nodes[1].managers.get("/")?.sessionCount, before);
  });

  it("naming its own port in state? as a member: the state goes to the member's address", async () => {
    const [n1, n2] = nodes;
    let connectedBack = false;
    const listener = createServer((socket) => {
      connectedBack = true;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    const port = (listener.address() as { port: number }).port;
    const stateAtN1 = new Promise<void>((resolve) =>
      n1.channel.addChannelListener({
        accept: (value) => (value as { q?: string }).q === "probe",
        messageReceived: () => resolve(),
      })
    );
    try {
      const intruder = await attacker(ports[1], { id: n1.uniqueId, target: n2Id() });
      sockets.push(intruder.socket);
      const record = { ...n2.members()[0], host: "127.0.0.1", port };
      intruder.send(record, { cdm: 1, ctx, t: "state?", q: "probe" });
      await stateAtN1; // the state went to n1's receiver, where membership says n1 listens
      assert.equal(connectedBack, false);
    } finally {
      listener.close();
    }
  });
});
