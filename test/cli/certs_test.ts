import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { connect, createServer } from "node:tls";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  checkNodeNames,
  createCa,
  type IssuedCert,
  issueNodeCert,
  parseCertsArgs,
} from "../../src/cli/certs.ts";
import { ConclaveError } from "../../src/errors.ts";
import { runScript } from "../helpers/runtime.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const entry = join(root, "node.ts");
const DAY_MS = 86_400_000;

function extension<T extends x509.Extension>(
  cert: x509.X509Certificate,
  type: new (raw: BufferSource) => T,
): T {
  const found = cert.getExtension(type);
  assert.ok(found, `${type.name} is present`);
  return found;
}

/** Checks what every node certificate must be: signed by `ca`, named, usable as server and client. */
async function assertNodeCert(certPem: string, keyPem: string, caPem: string, name: string) {
  const cert = new x509.X509Certificate(certPem);
  const ca = new x509.X509Certificate(caPem);
  assert.equal(cert.subject, `CN=${name}`);
  assert.equal(cert.issuer, ca.subject);
  assert.ok(await cert.verify({ publicKey: ca.publicKey, date: new Date() }), "signed by the CA");
  // The runtime's own X.509 code agrees.
  const native = new X509Certificate(certPem);
  assert.ok(native.verify(new X509Certificate(caPem).publicKey));
  assert.ok(native.checkIssued(new X509Certificate(caPem)));

  const basic = extension(cert, x509.BasicConstraintsExtension);
  assert.equal(basic.ca, false);
  const usage = extension(cert, x509.KeyUsagesExtension);
  assert.equal(usage.usages, x509.KeyUsageFlags.digitalSignature);
  assert.equal(usage.critical, true);
  assert.deepEqual([...extension(cert, x509.ExtendedKeyUsageExtension).usages], [
    x509.ExtendedKeyUsage.serverAuth,
    x509.ExtendedKeyUsage.clientAuth,
  ]);
  assert.deepEqual(
    extension(cert, x509.SubjectAlternativeNameExtension).names.items.map((n) => [n.type, n.value]),
    [["dns", name], ["dns", "localhost"], ["ip", "127.0.0.1"], ["ip", "::1"]],
  );
  assert.match(cert.signatureAlgorithm.name, /ECDSA/);

  // The key is a PKCS#8 P-256 key, and the one of the certificate.
  assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  const key = createPrivateKey(keyPem);
  assert.equal(key.asymmetricKeyType, "ec");
  assert.deepEqual(
    createPublicKey(key).export({ type: "spki", format: "der" }),
    native.publicKey.export({ type: "spki", format: "der" }),
  );
}

describe("createCa and issueNodeCert", () => {
  let ca: IssuedCert;
  before(async () => {
    ca = await createCa({ commonName: "Test CA", days: 10 });
  });

  it("make a self-signed CA with critical CA:true and keyCertSign + cRLSign", async () => {
    assert.equal(ca.cert.subject, "CN=Test CA");
    assert.ok(await ca.cert.isSelfSigned());
    const basic = extension(ca.cert, x509.BasicConstraintsExtension);
    assert.equal(basic.ca, true);
    assert.equal(basic.critical, true);
    const usage = extension(ca.cert, x509.KeyUsagesExtension);
    assert.equal(usage.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    assert.equal(usage.critical, true);
    assert.ok(new X509Certificate(ca.certPem).ca);
  });

  it("issue node certificates signed by the CA, with the names and usages of a node", async () => {
    const node = await issueNodeCert(ca, "node-7.example_a");
    await assertNodeCert(node.certPem, node.keyPem, ca.certPem, "node-7.example_a");
  });

  it("backdate by 5 minutes, default to 825 days, and draw a random positive serial", async () => {
    const before = Date.now();
    const a = await issueNodeCert(ca, "a");
    const b = await issueNodeCert(ca, "a");
    const start = a.cert.notBefore.getTime();
    // Certificate dates have whole seconds.
    assert.ok(start <= before - 5 * 60_000 + 1000 && start >= before - 5 * 60_000 - 2000);
    const days = (a.cert.notAfter.getTime() - before) / DAY_MS;
    assert.ok(days > 824.99 && days < 825.01, `${days} days`);
    assert.notEqual(a.cert.serialNumber, b.cert.serialNumber);
    assert.match(a.cert.serialNumber, /^[4-7][0-9a-f]{31}$/);
  });

  it("take explicit dates, for expired certificates", async () => {
    const notBefore = new Date(Date.now() - 30 * DAY_MS);
    const notAfter = new Date(Date.now() - 2 * DAY_MS);
    const old = await issueNodeCert(ca, "old", { notBefore, notAfter });
    assert.equal(old.cert.notAfter.getTime(), Math.floor(notAfter.getTime() / 1000) * 1000);
    assert.equal(await old.cert.verify({ publicKey: ca.cert.publicKey, date: new Date() }), false);
  });
});

describe("node names and flags of conclave certs", () => {
  const badNames: [string, string][] = [
    ["", "empty"],
    ["a,,b", "an empty entry"],
    ["a b", "a space"],
    ["../x", "a path"],
    ["-x", "a leading dash"],
    ["é", "a non-ASCII letter"],
    ["a".repeat(64), "64 characters"],
    ["a,b,A", "a duplicate without case"],
    ["CA", "the CA's file name"],
  ];
  for (const [nodes, what] of badNames) {
    it(`refuse ${what} with CERTS_ERR_BAD_NODE_NAME`, () => {
      assert.throws(
        () => parseCertsArgs(["--out", "x", `--nodes=${nodes}`]),
        (e: unknown) => e instanceof ConclaveError && e.code === "CERTS_ERR_BAD_NODE_NAME",
      );
    });
  }

  it("accept letters, digits, '.', '-' and '_', trimming spaces after commas", () => {
    checkNodeNames(["node1", "a.b-c_d", "9"]);
    const args = parseCertsArgs(["--out", "x", "--nodes", "n1, n2", "--days", "30", "--force"]);
    assert.deepEqual(args, { help: false, out: "x", nodes: ["n1", "n2"], days: 30, force: true });
  });

  const badFlags: [string, string[]][] = [
    ["no --out", ["--nodes", "a"]],
    ["no --nodes", ["--out", "x"]],
    ["--days 0", ["--out", "x", "--nodes", "a", "--days", "0"]],
    ["--days 1.5", ["--out", "x", "--nodes", "a", "--days", "1.5"]],
    ["an unknown flag", ["--out", "x", "--nodes", "a", "--bogus"]],
    ["a positional", ["--out", "x", "--nodes", "a", "extra"]],
  ];
  for (const [what, argv] of badFlags) {
    it(`refuse ${what} with CLI_ERR_BAD_FLAG`, () => {
      assert.throws(
        () => parseCertsArgs(argv),
        (e: unknown) => e instanceof ConclaveError && e.code === "CLI_ERR_BAD_FLAG",
      );
    });
  }
});

describe("conclave certs (spawned)", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "conclave-certs-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("writes ca and node files, keys 0600, then refuses to overwrite unless --force", async () => {
    const out = join(dir, "cluster");
    const result = await runScript(entry, ["certs", "--out", out, "--nodes", "a,b", "--days", "3"]);
    assert.equal(result.code, 0, result.stderr);
    const caPem = await readFile(join(out, "ca.pem"), "utf8");
    for (const base of ["ca", "a", "b"]) {
      assert.match(result.stdout, new RegExp(`wrote .*${base}\\.pem`));
      assert.equal((await stat(join(out, `${base}.key`))).mode & 0o777, 0o600, `${base}.key`);
      assert.equal((await stat(join(out, `${base}.pem`))).mode & 0o777, 0o644, `${base}.pem`);
    }
    for (const name of ["a", "b"]) {
      const certPem = await readFile(join(out, `${name}.pem`), "utf8");
      await assertNodeCert(certPem, await readFile(join(out, `${name}.key`), "utf8"), caPem, name);
      const days = (new x509.X509Certificate(certPem).notAfter.getTime() - Date.now()) / DAY_MS;
      assert.ok(days > 2.9 && days < 3.1, `--days 3 gave ${days}`);
    }

    const again = await runScript(entry, ["certs", "--out", out, "--nodes", "b,c"]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /ca\.pem.*already exist.*CERTS_ERR_EXISTS/);
    assert.doesNotMatch(again.stderr, /c\.pem/, "names only the files that exist");
    assert.equal(await readFile(join(out, "ca.pem"), "utf8"), caPem, "nothing was replaced");
    await assert.rejects(stat(join(out, "c.pem")), "nothing was written");

    // --force replaces the files and narrows a loosened key mode back to 0600.
    await writeFile(join(out, "b.key"), "loose", { mode: 0o644 });
    const forced = await runScript(entry, ["certs", "--out", out, "--nodes", "b", "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.notEqual(await readFile(join(out, "ca.pem"), "utf8"), caPem);
    assert.equal((await stat(join(out, "b.key"))).mode & 0o777, 0o600);
  });

  it("exits 2 for a bad node name or flag, and 0 for --help", async () => {
    let result = await runScript(entry, ["certs", "--out", join(dir, "bad"), "--nodes", "a,a"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /"a" twice.*CERTS_ERR_BAD_NODE_NAME/);
    result = await runScript(entry, ["certs", "--nodes", "a"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--out DIR is required.*CLI_ERR_BAD_FLAG/);
    await assert.rejects(stat(join(dir, "bad")), "nothing was written");
    result = await runScript(entry, ["certs", "--help"]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /--nodes a,b,c/);
  });
});

describe("the TEST-ONLY certificates in certs/", () => {
  const read = (name: string) => readFile(join(root, "certs", name), "utf8");
  const tenYears = Date.now() + 10 * 365 * DAY_MS;

  it("node1..3 are node certificates of ca.pem, valid for 10 more years at least", async () => {
    const caPem = await read("ca.pem");
    for (const name of ["node1", "node2", "node3"]) {
      await assertNodeCert(await read(`${name}.pem`), await read(`${name}.key`), caPem, name);
      assert.ok(new x509.X509Certificate(await read(`${name}.pem`)).notAfter.getTime() > tenYears);
    }
  });

  it("intruder is a node certificate of other-ca.pem, not of ca.pem", async () => {
    await assertNodeCert(
      await read("intruder.pem"),
      await read("intruder.key"),
      await read("other-ca.pem"),
      "intruder",
    );
    assert.equal(
      new X509Certificate(await read("intruder.pem")).checkIssued(
        new X509Certificate(await read("ca.pem")),
      ),
      false,
    );
  });

  it("expired is signed by ca.pem and expired", async () => {
    const cert = new x509.X509Certificate(await read("expired.pem"));
    const ca = new x509.X509Certificate(await read("ca.pem"));
    assert.ok(await cert.verify({ publicKey: ca.publicKey, signatureOnly: true }));
    assert.ok(cert.notAfter.getTime() < Date.now());
  });
});

describe("node:tls with the certificates in certs/", () => {
  const files = new Map<string, string>();
  const file = (name: string) => files.get(name)!;
  before(async () => {
    for (const base of ["ca", "node1", "node2", "intruder", "expired"]) {
      for (const name of [`${base}.pem`, `${base}.key`]) {
        files.set(name, await readFile(join(root, "certs", name), "utf8"));
      }
    }
  });

  /** One TLS 1.3 mTLS exchange on 127.0.0.1: what the client read back, or "" when refused. */
  async function exchange(server: string, client: string): Promise<string> {
    const tlsServer = createServer({
      cert: file(`${server}.pem`),
      key: file(`${server}.key`),
      ca: file("ca.pem"),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.3",
    }, (socket) => {
      socket.on("error", () => {});
      socket.end(`hello ${(socket.getPeerCertificate().subject as { CN?: string }).CN}`);
    });
    tlsServer.on("tlsClientError", () => {});
    await new Promise<void>((resolve) => tlsServer.listen(0, "127.0.0.1", resolve));
    const { port } = tlsServer.address() as { port: number };
    try {
      return await new Promise<string>((resolve) => {
        const socket = connect({
          host: "127.0.0.1",
          port,
          servername: server,
          cert: file(`${client}.pem`),
          key: file(`${client}.key`),
          ca: file("ca.pem"),
          minVersion: "TLSv1.3",
        });
        let text = "";
        // In TLS 1.3 a refused client certificate shows as a close after the handshake.
        socket.on("data", (d) => text += d);
        socket.on("error", () => resolve(""));
        socket.on("close", () => resolve(text));
      });
    } finally {
      await new Promise((resolve) => tlsServer.close(resolve));
    }
  }

  it("connect node2 to node1 with mutual authentication", async () => {
    assert.equal(await exchange("node1", "node2"), "hello node2");
  });

  it("refuse a client certificate from another CA, and an expired one", async () => {
    assert.equal(await exchange("node1", "intruder"), "");
    assert.equal(await exchange("node1", "expired"), "");
  });

  it("refuse an expired server certificate", async () => {
    assert.equal(await exchange("expired", "node2"), "");
  });
});
