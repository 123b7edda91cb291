/**
 * Anti-entropy cost, in process on the in-memory network: two DeltaManagers holding the same
 * 100,000 sessions run rounds at rest (the bytes a member spends per minute at the default
 * 60 s interval, the CPU time of a digest), then repair 1,000 sessions one side missed.
 *
 * Usage: node --import tsx bench/anti_entropy.ts [--sessions N]
 * Prints figures; asserts nothing.
 */
import { deltaHarness } from "../src/testing/delta_harness.ts";
import type { StoredSession } from "../src/session/store.ts";
import { digest } from "../plugins/manager/delta/digest.ts";

const arg = process.argv.indexOf("--sessions");
const SESSIONS = arg > 0 ? Number(process.argv[arg + 1]) : 100_000;
const ROUNDS = 10;
const INTERVAL_S = 60;

const harness = deltaHarness({ sendOptions: 6, attributes: { antiEntropyInterval: 0 } });
const a = await harness.createNode();
await a.start();
for (let i = 0; i < SESSIONS; i++) {
  const s = a.createSession();
  s.attributes.set("user", `user-${i}`);
  s.attributes.set("n", i);
  a.store.takeDelta(s as StoredSession); // replicated to nobody yet: b gets them by state transfer
}
const b = await harness.createNode();
await b.start();
const [na, nb] = harness.nodes;
const member = na.members()[0];

let t = performance.now();
digest(a.store);
const digestMs = performance.now() - t;

const bytes = () => na.channel.stats.bytesSent + nb.channel.stats.bytesSent;
let before = bytes();
t = performance.now();
for (let i = 0; i < ROUNDS; i++) {
  const found = await a.antiEntropy(member);
  if (found !== 0) throw new Error(`a round at rest found ${found} differences`);
}
const roundMs = (performance.now() - t) / ROUNDS;
const perRound = (bytes() - before) / ROUNDS;
// Each member starts one round per interval and, on average, answers one.
const perMinute = perRound * (60 / INTERVAL_S);

// b misses one write on 1,000 sessions (as if their deltas were lost), then one repair.
const sessions = [...a.store.sessions()].slice(0, 1000);
for (const s of sessions) {
  s.attributes.set("n", -1);
  a.store.takeDelta(s);
}
before = bytes();
t = performance.now();
let rounds = 0;
while ((await a.antiEntropy(member)) > 0) rounds++;
await new Promise((resolve) => setTimeout(resolve, 50)); // b's last copies to land
const repairMs = performance.now() - t;
const ok = sessions.every((s) => b.store.get(s.id)?.attributes.get("n") === -1);

console.log(`sessions per member:            ${SESSIONS}`);
console.log(`digest (CPU, one store):        ${digestMs.toFixed(1)} ms`);
console.log(
  `round at rest:                  ${perRound.toFixed(0)} bytes, ${roundMs.toFixed(1)} ms`,
);
console.log(
  `at rest, per member:            ${(perMinute / 1024).toFixed(1)} KiB/min ` +
    `(one round started, one answered per ${INTERVAL_S} s)`,
);
console.log(
  `repair of 1,000 sessions:       ${rounds} round(s), ${
    ((bytes() - before) / 1024).toFixed(0)
  } KiB, ` +
    `${repairMs.toFixed(0)} ms, converged: ${ok}`,
);
await harness.teardown();
