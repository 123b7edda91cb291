import { interceptorConformance } from "../../src/conformance/interceptor.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { AuditInterceptor } from "./audit_interceptor.ts";

interceptorConformance("AuditInterceptor (example, third-party)", {
  create: () => Promise.resolve(new AuditInterceptor("test", silentLogger())),
});
