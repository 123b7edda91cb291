import { interceptorConformance } from "../../../src/conformance/interceptor.ts";
import { silentLogger } from "../../../src/kernel/log.ts";
import { MessageDispatchInterceptor } from "./message_dispatch.ts";

interceptorConformance("MessageDispatchInterceptor", {
  create: () =>
    Promise.resolve(
      new MessageDispatchInterceptor({
        maxQueueSize: 1 << 20,
        alwaysSend: true,
        logger: silentLogger(),
      }),
    ),
});
