/**
 * `MessageDispatchInterceptor`: sends with the `asynchronous` option (8) are queued and return at
 * once. Mirrors `org.apache.catalina.tribes.group.interceptors.MessageDispatchInterceptor`.
 *
 * ```json
 * { "className": "MessageDispatchInterceptor", "maxQueueSize": 67108864, "alwaysSend": true }
 * ```
 * Differences from Tomcat: one ordered drain instead of a thread pool, so messages between two
 * nodes keep their order; with `alwaysSend` a full queue makes the caller wait for room instead of
 * sending on the caller's thread out of order; failed queued sends are logged at warn and counted.
 * Tomcat's thread attributes (`maxThreads`, `maxSpareThreads`, `keepAliveTime`, `useDeepClone`)
 * are accepted and ignored.
 *
 * @module
 */
import { definePlugin } from "../../../src/kernel/plugin.ts";
import { MessageDispatchInterceptor } from "./message_dispatch.ts";

export { MessageDispatchInterceptor };

const ignored = {
  type: "any",
  description: "Accepted for Tomcat compatibility; no effect",
} as const;

export default definePlugin({
  kind: "interceptor",
  name: "interceptor/message-dispatch",
  shortNames: ["MessageDispatchInterceptor"],
  aliases: [
    "org.apache.catalina.tribes.group.interceptors.MessageDispatchInterceptor",
    "org.apache.catalina.tribes.group.interceptors.MessageDispatch15Interceptor",
  ],
  attributes: {
    maxQueueSize: {
      type: "integer",
      default: 67108864,
      min: 1,
      description: "Queued payload bytes",
    },
    alwaysSend: { type: "boolean", default: true, description: "Wait for room when full" },
    optionFlag: {
      type: "integer",
      default: 8,
      min: 8,
      max: 8,
      description: "Fixed at 8 (asynchronous)",
    },
    maxThreads: ignored,
    maxSpareThreads: ignored,
    keepAliveTime: ignored,
    useDeepClone: ignored,
  },
  create: (init, { logger }) =>
    new MessageDispatchInterceptor({
      maxQueueSize: init.maxQueueSize,
      alwaysSend: init.alwaysSend,
      logger,
    }),
});
