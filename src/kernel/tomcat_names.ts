/**
 * Tomcat's cluster classes by slot kind, whether Conclave implements them or not.
 *
 * A name found here that no built-in plugin claims is reported as "not implemented" with the
 * closest supported names, and is never imported.
 *
 * @module
 */
import type { PluginKind } from "../interfaces/plugin.ts";

const T = "org.apache.catalina.tribes.";
const H = "org.apache.catalina.ha.";

/** Fully qualified Tomcat class name to the slot kind it belongs in. */
export const TOMCAT_CLASSES: Readonly<Record<string, PluginKind>> = {
  [`${T}membership.McastService`]: "membership",
  [`${T}membership.StaticMembershipService`]: "membership",
  [`${T}membership.cloud.CloudMembershipService`]: "membership",
  [`${T}transport.nio.NioReceiver`]: "receiver",
  [`${T}transport.ReplicationTransmitter`]: "sender",
  [`${T}transport.nio.PooledParallelSender`]: "transport",
  [`${T}group.interceptors.TcpFailureDetector`]: "interceptor",
  [`${T}group.interceptors.MessageDispatchInterceptor`]: "interceptor",
  [`${T}group.interceptors.MessageDispatch15Interceptor`]: "interceptor",
  [`${T}group.interceptors.StaticMembershipInterceptor`]: "interceptor",
  [`${T}group.interceptors.DomainFilterInterceptor`]: "interceptor",
  [`${T}group.interceptors.TcpPingInterceptor`]: "interceptor",
  [`${T}group.interceptors.ThroughputInterceptor`]: "interceptor",
  [`${T}group.interceptors.EncryptInterceptor`]: "interceptor",
  [`${T}group.interceptors.GzipInterceptor`]: "interceptor",
  [`${T}group.interceptors.OrderInterceptor`]: "interceptor",
  [`${T}group.interceptors.FragmentationInterceptor`]: "interceptor",
  [`${T}group.interceptors.NonBlockingCoordinator`]: "interceptor",
  [`${T}group.interceptors.TwoPhaseCommitInterceptor`]: "interceptor",
  [`${T}group.interceptors.SimpleCoordinator`]: "interceptor",
  [`${H}session.DeltaManager`]: "manager",
  [`${H}session.BackupManager`]: "manager",
  [`${H}tcp.ReplicationValve`]: "valve",
  [`${H}session.JvmRouteBinderValve`]: "valve",
  [`${H}authenticator.ClusterSingleSignOn`]: "valve",
  [`${H}session.ClusterSessionListener`]: "clusterListener",
};

/** The simple name of a dotted class name (`a.b.Foo` gives `Foo`). */
export function simpleName(className: string): string {
  return className.slice(className.lastIndexOf(".") + 1);
}
