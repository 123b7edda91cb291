/**
 * `bench/http.ts`'s session manager: the built-in `DeltaManager`, whose instances are also
 * recorded (by app path) where the bench's app module finds them, so that `/seed` can create
 * sessions in the node's own process instead of over HTTP. The configuration names this file as
 * the cluster's manager `className`; it takes DeltaManager's attributes, plus one:
 *
 * - `waitForMembers` (ms, default 0 = off): before the manager starts (and asks for the state),
 *   wait until the membership has found at least one member, for at most this long. Host mode
 *   starts the managers right after the channel, before the first heartbeat answers arrive, so a
 *   joining node sees no member and skips the state transfer (reported as a product problem);
 *   Tomcat sleeps for a few heartbeats at channel start ("Sleeping for 1000 milliseconds to
 *   establish cluster membership") for the same reason.
 *
 * @module
 */
import { definePlugin } from "../../src/kernel/plugin.ts";
import delta, { type DeltaManager } from "../../plugins/manager/delta/mod.ts";

const KEY = Symbol.for("conclave.bench.http.managers");

/** The DeltaManager instances of this process, by app path. */
export function benchManagers(): Map<string, DeltaManager> {
  const holder = globalThis as unknown as Record<symbol, Map<string, DeltaManager> | undefined>;
  return holder[KEY] ??= new Map();
}

export default definePlugin({
  kind: "manager",
  name: "manager/bench-delta",
  attributes: {
    ...delta.attributes,
    waitForMembers: {
      type: "integer",
      default: 0,
      min: 0,
      description: "ms to wait at start until the membership has found a member (0: do not wait)",
    },
  },
  create: (init, components) => {
    const { waitForMembers, ...rest } = init;
    const manager = delta.create(rest, components) as DeltaManager;
    const wait = waitForMembers;
    const channel = components.channel;
    if (wait > 0 && channel) {
      const start = manager.start.bind(manager);
      manager.start = async () => {
        const deadline = Date.now() + wait;
        while (channel.getMembers().length === 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        await start();
      };
    }
    benchManagers().set(manager.name, manager);
    return manager;
  },
});
