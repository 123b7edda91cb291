/**
 * The Kubernetes and Docker examples a user copies (examples/kubernetes/, examples/docker/) cannot
 * run here, so their parts are checked against each other: the manifests parse; `conclave check`
 * accepts the ConfigMap's cluster.json; the probes hit the configured port on the SPEC's paths;
 * the grace period outlasts `shutdownTimeout`; the headless Service publishes not-ready
 * addresses under the DNS name the membership resolves; the secret comes from a Secret; every
 * `${VAR}` of cluster.json is set in the pod; each Dockerfile starts the node in exec form on the
 * config the pod mounts and exposes its ports.
 */
import assert from "node:assert/strict";
import { copyFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { builtinPlugins } from "../../src/node/builtins.ts";
import { REPO, runScript } from "../helpers/runtime.ts";
import { freePorts, randomSecret, removeDir, tempDir, writeJson } from "../netns/netns.ts";

const K8S = join(REPO, "examples/kubernetes");
const DOCKER = join(REPO, "examples/docker");
const RUNTIME_IMAGES = { node: /^node:/, deno: /^denoland\/deno:/, bun: /^oven\/bun:/ };

// deno-lint-ignore no-explicit-any
type Doc = Record<string, any>;

async function manifests(file: string): Promise<Doc[]> {
  const docs = parseAllDocuments(await readFile(join(K8S, file), "utf8"));
  assert.ok(Array.isArray(docs), `${file} holds YAML documents`);
  for (const doc of docs) assert.deepEqual(doc.errors, [], `${file} parses`);
  return docs.map((d) => d.toJS() as Doc);
}

function one(docs: Doc[], kind: string, name?: string): Doc {
  const found = docs.filter((d) =>
    d.kind === kind && (name === undefined || d.metadata.name === name)
  );
  assert.equal(found.length, 1, `one ${kind} ${name ?? ""}`);
  return found[0];
}

interface ClusterJson {
  http: { port: number };
  admin?: { port: number };
  shutdownTimeout: number;
  apps: { module: string }[];
  cluster: {
    channel: {
      membership: Record<string, unknown> & { className: string; dnsName: string; port: number };
      receiver: { port: number };
    };
  };
}

describe("examples/kubernetes and examples/docker", () => {
  let config: Doc;
  let text: string;
  let cluster: ClusterJson;
  let services: Doc[];
  const workloads: Doc[] = [];
  const dirs: string[] = [];

  before(async () => {
    config = one(await manifests("configmap.yaml"), "ConfigMap");
    text = config.data["cluster.json"];
    cluster = JSON.parse(text);
    services = await manifests("service.yaml");
    workloads.push(one(await manifests("statefulset.yaml"), "StatefulSet"));
    workloads.push(one(await manifests("deployment.yaml"), "Deployment"));
  });
  after(async () => {
    for (const dir of dirs) await removeDir(dir);
  });

  it("conclave check accepts the ConfigMap's cluster.json", { timeout: 60_000 }, async () => {
    const dir = await tempDir("k8s-check");
    dirs.push(dir);
    const membership = cluster.cluster.channel.membership;
    const plugins = await builtinPlugins();
    const dns = plugins.some((p) => p.shortNames?.includes(membership.className));
    const checked = structuredClone(cluster);
    if (!dns) {
      console.log(
        `${membership.className} is not a built-in plugin in this checkout yet: checking the ` +
          "rest of cluster.json with StaticMembershipService in the membership slot",
      );
      (checked.cluster.channel as Record<string, unknown>).membership = {
        className: "StaticMembershipService",
        members: [],
        secret: membership.secret,
      };
    }
    const file = await writeJson(dir, "cluster.json", checked);
    // The image holds the app beside the mounted cluster.json.
    await copyFile(join(DOCKER, "app.ts"), join(dir, "app.ts"));
    // The ports of a pod are probably taken on this shared machine: check on free ones.
    const [http, receiver] = await freePorts(2);
    const result = await runScript(
      join(REPO, "node.ts"),
      ["check", "--config", file, "--http-port", `${http}`, "--receiver-port", `${receiver}`],
      { POD_NAME: "conclave-0", POD_IP: "127.0.0.1", CONCLAVE_CLUSTER_SECRET: randomSecret() },
    );
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /is ready to start: jvmRoute conclave-0/);
    assert.doesNotMatch(result.stderr, /warning/);
  });

  it("the headless Service publishes not-ready pods under the name the membership resolves", () => {
    const headless = services.find((s) => s.spec.clusterIP === "None");
    assert.ok(headless, "a headless Service");
    assert.equal(headless.spec.publishNotReadyAddresses, true);
    const { membership, receiver } = cluster.cluster.channel;
    const name = `${headless.metadata.name}.${headless.metadata.namespace}.svc.cluster.local`;
    assert.equal(membership.dnsName, name);
    assert.equal(membership.port, receiver.port, "members are reached on the receiver port");
    for (const workload of workloads) {
      const labels = workload.spec.template.metadata.labels;
      assert.deepEqual(workload.spec.selector.matchLabels, labels);
      for (const service of services) {
        for (const [k, v] of Object.entries(service.spec.selector)) assert.equal(labels[k], v);
      }
    }
    const statefulSet = workloads.find((w) => w.kind === "StatefulSet")!;
    assert.equal(statefulSet.spec.serviceName, headless.metadata.name);
  });

  for (const kind of ["StatefulSet", "Deployment"]) {
    describe(kind, () => {
      const pod = () => workloads.find((w) => w.kind === kind)!.spec.template.spec;
      const container = () => pod().containers[0];
      /** A probe's port as a number: named ports resolve through the container's ports. */
      const portOf = (port: number | string) =>
        typeof port === "number"
          ? port
          : container().ports.find((p: Doc) => p.name === port)?.containerPort;

      it("probes /_conclave/ready and /_conclave/live on the port that serves them", () => {
        const probePort = cluster.admin?.port ?? cluster.http.port;
        const { readinessProbe, livenessProbe } = container();
        assert.equal(readinessProbe.httpGet.path, "/_conclave/ready");
        assert.equal(livenessProbe.httpGet.path, "/_conclave/live");
        assert.equal(portOf(readinessProbe.httpGet.port), probePort);
        assert.equal(portOf(livenessProbe.httpGet.port), probePort);
        const ports = container().ports.map((p: Doc) => p.containerPort);
        assert.ok(ports.includes(cluster.cluster.channel.receiver.port), "the receiver port");
      });

      it("gives a drain more time than shutdownTimeout", () => {
        assert.ok(pod().terminationGracePeriodSeconds > cluster.shutdownTimeout / 1000);
      });

      it("takes the secret from a Secret and sets every ${VAR} that cluster.json uses", () => {
        const env = new Map<string, Doc>(container().env.map((e: Doc) => [e.name, e]));
        const secret = env.get("CONCLAVE_CLUSTER_SECRET");
        assert.ok(secret?.valueFrom?.secretKeyRef?.name, "from a secretKeyRef");
        assert.ok(secret.valueFrom.secretKeyRef.key);
        assert.equal(secret.value, undefined, "never written in the manifest");
        assert.equal(cluster.cluster.channel.membership.secret, "${CONCLAVE_CLUSTER_SECRET}");
        const used = [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]);
        assert.ok(used.length > 0);
        for (const name of used) assert.ok(env.has(name), `the pod sets ${name}`);
      });

      it("mounts the ConfigMap's cluster.json where the images read it", async () => {
        const mount = container().volumeMounts.find((m: Doc) => m.subPath === "cluster.json");
        assert.ok(mount, "cluster.json mounted by subPath");
        const volume = pod().volumes.find((v: Doc) => v.name === mount.name);
        assert.equal(volume.configMap.name, config.metadata.name);
        for (const runtime of Object.keys(RUNTIME_IMAGES)) {
          const cmd = await dockerCmd(runtime);
          assert.equal(cmd[cmd.indexOf("--config") + 1], mount.mountPath, runtime);
        }
      });
    });
  }

  for (const [runtime, image] of Object.entries(RUNTIME_IMAGES)) {
    it(`Dockerfile.${runtime} runs conclave start in exec form, copies the app, exposes the ports`, async () => {
      const lines = (await readFile(join(DOCKER, `Dockerfile.${runtime}`), "utf8"))
        .split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
      const from = lines.find((l) => l.startsWith("FROM "));
      assert.match(from?.slice(5) ?? "", image);
      const cmd = await dockerCmd(runtime);
      assert.equal(cmd[0], runtime);
      assert.ok(cmd.includes("start"), "conclave start");
      const expose = lines.find((l) => l.startsWith("EXPOSE "))?.split(/\s+/).slice(1).map(Number);
      assert.deepEqual(
        expose?.sort(),
        [cluster.http.port, cluster.cluster.channel.receiver.port].sort(),
      );
      const app = cluster.apps[0].module.replace(/^\.\//, "");
      assert.ok(lines.some((l) => l.startsWith("COPY ") && l.includes(app)), `copies ${app}`);
      assert.ok(!lines.some((l) => l.startsWith("ENTRYPOINT ")), "nothing wraps the command");
    });
  }
});

/** The CMD of a Dockerfile, which must be exec form (a JSON array) so the node gets SIGTERM. */
async function dockerCmd(runtime: string): Promise<string[]> {
  const text = await readFile(join(DOCKER, `Dockerfile.${runtime}`), "utf8");
  const line = text.split("\n").find((l) => l.startsWith("CMD "));
  assert.ok(line, `Dockerfile.${runtime} has a CMD`);
  const cmd = JSON.parse(line.slice(4)) as unknown;
  assert.ok(Array.isArray(cmd) && cmd.every((a) => typeof a === "string"), "exec form");
  return cmd as string[];
}
