/**
 * The `conclave` command's own help and version.
 *
 * @module
 */
import { readFileSync } from "node:fs";

/** Every command with its flags (`conclave --help`; bare `conclave` prints it to stderr). */
export const USAGE = `Usage: conclave <command> [options]

Commands:
  start --config FILE [--jvm-route NAME] [--http-port N] [--receiver-port N] [--log-level LEVEL]
        start one cluster node hosting the configured apps, until SIGINT or SIGTERM
  check --config FILE [--jvm-route NAME] [--http-port N] [--receiver-port N] [--log-level LEVEL]
        load and resolve the whole configuration (every className, app modules, TLS files,
        free ports) without starting anything
  certs --out DIR --nodes a,b,c [--days N] [--force]
        create a cluster CA and one key pair and certificate per node (for transport TLS)
  status [--url URL] [--json]
        print a node's view of the cluster: members, sessions per app
  convert server.xml
        turn a Tomcat <Cluster> element into cluster.json on stdout

Options:
  -h, --help      print this help (after a command: that command's help)
  -v, --version   print the version

Exit status: 0 on success or after a clean stop, 2 for a bad command line or configuration,
1 for any other failure (for example a port in use). Errors print their code and message;
CONCLAVE_DEBUG=1 adds the stack of an unexpected one.`;

/** What `start` and `convert` suggest for a configuration that serves nothing. */
export const APPS_EXAMPLE =
  '"apps": [{ "path": "/", "module": "./app.ts", "distributable": true }]';

/** The package's version, from its package.json (beside src/ in a checkout, above dist/ when built). */
export function packageVersion(): string {
  for (const up of ["../../package.json", "../../../package.json"]) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8"));
      if (manifest.name === "conclave" && typeof manifest.version === "string") {
        return manifest.version;
      }
    } catch {
      // not this folder
    }
  }
  return "unknown";
}
