/**
 * `conclave convert server.xml`: a Tomcat `<Cluster>` element (and `<Engine jvmRoute>`) as
 * `cluster.json` on stdout. Tomcat's class names are kept: Conclave accepts them as aliases.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { XMLParser } from "fast-xml-parser";
import { ConclaveError } from "../errors.ts";
import { APPS_EXAMPLE } from "./usage.ts";

export const CONVERT_USAGE = `Usage: conclave convert server.xml

Prints the <Cluster> of a Tomcat server.xml (and the Engine's jvmRoute) as cluster.json.
Notes about what does not carry over go to stderr.
`;

type XmlNode = Record<string, unknown>;

/** Tomcat attribute text to JSON: numbers and booleans become themselves; `${...}` stays text. */
function value(text: unknown): unknown {
  if (typeof text !== "string") return text;
  if (text === "true" || text === "false") return text === "true";
  if (/^-?\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  return text;
}

function attributes(node: XmlNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(node)) if (!Array.isArray(v)) out[key] = value(v);
  return out;
}

function children(node: XmlNode | undefined, name: string): XmlNode[] {
  const list = node?.[name];
  return Array.isArray(list) ? list as XmlNode[] : [];
}

/** Depth-first search for the first element called `name`. */
function find(node: XmlNode, name: string): XmlNode | undefined {
  for (const [key, list] of Object.entries(node)) {
    if (!Array.isArray(list)) continue;
    for (const child of list as XmlNode[]) {
      if (key === name) return child;
      const found = find(child, name);
      if (found) return found;
    }
  }
  return undefined;
}

/** Every element called `name`, depth first. */
function findAll(node: XmlNode, name: string, out: XmlNode[] = []): XmlNode[] {
  for (const [key, list] of Object.entries(node)) {
    if (!Array.isArray(list)) continue;
    for (const child of list as XmlNode[]) {
      if (key === name) out.push(child);
      findAll(child, name, out);
    }
  }
  return out;
}

/** The first HTTP `<Connector>` (not AJP) as `http`; notes on what a node would serve. */
function httpOf(doc: XmlNode, notes: string[]): Record<string, unknown> | undefined {
  const connector = findAll(doc, "Connector").find((c) =>
    !/AJP/i.test(String(c.protocol ?? "HTTP/1.1")) && value(c.port) !== undefined
  );
  notes.push(
    `No "apps": Tomcat's web apps do not carry over, and a node started without apps serves nothing; add ${APPS_EXAMPLE}`,
  );
  if (!connector) {
    notes.push('No HTTP <Connector>: the node would serve on 127.0.0.1:8080; set "http" to choose');
    return undefined;
  }
  const http: Record<string, unknown> = { port: value(connector.port) };
  if (typeof connector.address === "string") http.host = connector.address;
  else {
    notes.push(
      'http.host is 127.0.0.1 (Tomcat\'s Connector listened on every interface): set "host" for a balancer elsewhere',
    );
  }
  return http;
}

/** Converts server.xml text; `notes` collects what did not carry over. */
export function convertServerXml(xml: string, notes: string[] = []): Record<string, unknown> {
  let doc: XmlNode;
  try {
    doc = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: "",
      isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
    }).parse(xml, true) as XmlNode;
  } catch (cause) {
    throw new ConclaveError("CLI_ERR_CONVERT", `Not well-formed XML: ${(cause as Error).message}`, {
      cause,
    });
  }
  const cluster = find(doc, "Cluster");
  if (!cluster) {
    throw new ConclaveError(
      "CLI_ERR_CONVERT",
      "No <Cluster> element found; expected one inside <Engine> or <Host>",
    );
  }
  const out: Record<string, unknown> = {};
  const engine = find(doc, "Engine");
  if (typeof engine?.jvmRoute === "string") out.jvmRoute = engine.jvmRoute;
  else notes.push("No <Engine jvmRoute>: give each node one with --jvm-route");
  const http = httpOf(doc, notes);
  if (http) out.http = http;
  const result: Record<string, unknown> = attributes(cluster);
  const manager = children(cluster, "Manager")[0];
  if (manager) result.manager = attributes(manager);
  const channel = children(cluster, "Channel")[0];
  if (channel) {
    const c: Record<string, unknown> = attributes(channel);
    const membership = children(channel, "Membership")[0];
    if (membership) {
      c.membership = attributes(membership);
      if (/McastService$/.test(String(membership.className)) && membership.bind === undefined) {
        notes.push(
          "McastService without bind: Conclave binds multicast to 127.0.0.1 unless bind names the cluster's interface",
        );
      }
    }
    const receiver = children(channel, "Receiver")[0];
    if (receiver) c.receiver = attributes(receiver);
    const sender = children(channel, "Sender")[0];
    if (sender) {
      const s = attributes(sender);
      const transport = children(sender, "Transport")[0];
      if (transport) s.transport = attributes(transport);
      c.sender = s;
    }
    c.interceptors = children(channel, "Interceptor").map((i) => {
      const members = children(i, "Member").map(attributes);
      return members.length > 0 ? { ...attributes(i), members } : attributes(i);
    });
    result.channel = c;
  }
  const valves = children(cluster, "Valve");
  if (valves.length > 0) result.valves = valves.map(attributes);
  const listeners = children(cluster, "ClusterListener");
  if (listeners.length > 0) result.clusterListeners = listeners.map(attributes);
  if (children(cluster, "Deployer").length > 0) {
    notes.push("<Deployer> (FarmWarDeployer) has no Conclave equivalent and was left out");
  }
  out.cluster = result;
  return out;
}

/** Runs the command; resolves to the exit status. */
export function convertCommand(
  argv: readonly string[],
  print: (line: string) => void = console.log,
  warn: (line: string) => void = console.error,
): Promise<number> {
  if (argv[0] === "--help" || argv[0] === "-h") {
    print(CONVERT_USAGE);
    return Promise.resolve(0);
  }
  if (argv.length !== 1 || argv[0].startsWith("-")) {
    throw new ConclaveError(
      "CLI_ERR_BAD_FLAG",
      "Cannot convert: expected exactly one argument, the server.xml path",
    );
  }
  let xml: string;
  try {
    xml = readFileSync(argv[0], "utf8");
  } catch (cause) {
    throw new ConclaveError(
      "CONFIG_ERR_FILE_READ",
      `Cannot read ${argv[0]}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const notes: string[] = [];
  print(JSON.stringify(convertServerXml(xml, notes), null, 2));
  for (const note of notes) warn(`conclave convert: ${note}`);
  return Promise.resolve(0);
}
