import { interceptorConformance } from "../conformance/interceptor.ts";
import { InterceptorBase } from "./interceptor_base.ts";

interceptorConformance("InterceptorBase", { create: () => Promise.resolve(new InterceptorBase()) });
