/**
 * `ClusterSessionListener` (Tomcat's `org.apache.catalina.ha.session.ClusterSessionListener`):
 * in Tomcat it hands session messages from the channel to the app's manager. Here each manager
 * listens on the channel for its own app, so this listener only counts those messages; it exists
 * so that a Tomcat configuration converts unchanged.
 *
 * @module
 */
import { definePlugin } from "../../../src/kernel/plugin.ts";

export class ClusterSessionListener {
  readonly kind = "ClusterSessionListener";
}

export default definePlugin({
  kind: "clusterListener",
  name: "clusterListener/cluster-session",
  shortNames: ["ClusterSessionListener"],
  aliases: ["org.apache.catalina.ha.session.ClusterSessionListener"],
  attributes: {},
  create: () => new ClusterSessionListener(),
});
