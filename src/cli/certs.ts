/**
 * `conclave certs`: a cluster CA and one key pair + certificate per node, for the `tls` blocks of
 * receiver and sender. Made with WebCrypto (ECDSA P-256, SHA-256) and @peculiar/x509, so it runs
 * the same on Node, Deno and Bun without openssl.
 *
 * @module
 */
// tsyringe, under @peculiar/x509, throws on import without a Reflect metadata polyfill.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { chmod, mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseFlags } from "./args.ts";
import { ConclaveError } from "../errors.ts";

const DEFAULT_DAYS = 825;
const MAX_DAYS = 36500;
const DAY_MS = 86_400_000;
// Tolerates clocks a little behind the one that issued the certificate.
const BACKDATE_MS = 5 * 60_000;

export const CERTS_USAGE = `Usage: conclave certs --out DIR --nodes a,b,c [options]

Creates a cluster CA (ca.pem, ca.key) and, for each node, a certificate signed by it
(<name>.pem, <name>.key) for the "tls" blocks of receiver and sender. Each node certificate
serves both as TLS server and TLS client and names <name>, localhost, 127.0.0.1 and ::1.

Options:
  --out DIR            the folder to write to (created if absent)
  --nodes a,b,c        the node names: letters, digits, ".", "-" and "_"
  --days N             validity in days of the CA and the node certificates (default ${DEFAULT_DAYS})
  --force              overwrite existing files
  -h, --help           print this help`;

const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" } as const;

/** A certificate with its key pair, and both in PEM (the key as PKCS#8). */
export interface IssuedCert {
  readonly cert: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
  readonly certPem: string;
  readonly keyPem: string;
}

/** Validity of a certificate; by default from 5 minutes ago for `days` (825) days. */
export interface Validity {
  notBefore?: Date;
  notAfter?: Date;
  days?: number;
}

/** Options of {@link createCa}. */
export interface CaOptions extends Validity {
  /** The CA's common name; default `Conclave cluster CA <random id>`. */
  commonName?: string;
}

/** Creates a self-signed CA: basicConstraints CA:true and keyUsage keyCertSign + cRLSign, both critical. */
export async function createCa(options: CaOptions = {}): Promise<IssuedCert> {
  const { notBefore, notAfter } = validity(options);
  const keys = await generateKeys();
  const commonName = options.commonName ?? `Conclave cluster CA ${randomHex(4)}`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [commonName] }],
    notBefore,
    notAfter,
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
    ],
  }, crypto);
  return await issued(cert, keys);
}

/**
 * Issues a node certificate signed by `ca`: CN and SAN DNS `name`, SAN DNS localhost, IP 127.0.0.1
 * and ::1, extendedKeyUsage serverAuth + clientAuth (a node is TLS server and client), keyUsage
 * digitalSignature, a random serial. The name is not checked: see {@link checkNodeNames}.
 */
export async function issueNodeCert(
  ca: IssuedCert,
  name: string,
  options: Validity = {},
): Promise<IssuedCert> {
  const { notBefore, notAfter } = validity(options);
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [name] }],
    issuer: ca.cert.subjectName,
    notBefore,
    notAfter,
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(
        [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
        false,
      ),
      new x509.SubjectAlternativeNameExtension([
        { type: "dns", value: name },
        { type: "dns", value: "localhost" },
        { type: "ip", value: "127.0.0.1" },
        { type: "ip", value: "::1" },
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey, false, crypto),
    ],
  }, crypto);
  return await issued(cert, keys);
}

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * Checks node names: 1 to 63 letters, digits, `.`, `-` and `_`, starting with a letter or digit;
 * no duplicates, and not `ca`, whose files are the CA's (compared without case, as on macOS disks).
 *
 * @throws {ConclaveError} CERTS_ERR_BAD_NODE_NAME
 */
export function checkNodeNames(names: readonly string[]): void {
  if (names.length === 0) {
    throw new ConclaveError("CERTS_ERR_BAD_NODE_NAME", "Cannot create certificates: no node names");
  }
  const seen = new Set<string>();
  for (const name of names) {
    if (!NODE_NAME.test(name)) {
      throw new ConclaveError(
        "CERTS_ERR_BAD_NODE_NAME",
        `Cannot use the node name ${
          JSON.stringify(name)
        }: expected 1 to 63 letters, digits, ".", ` +
          `"-" and "_", starting with a letter or digit`,
      );
    }
    const key = name.toLowerCase();
    if (key === "ca") {
      throw new ConclaveError(
        "CERTS_ERR_BAD_NODE_NAME",
        `Cannot use the node name ${JSON.stringify(name)}: ca.pem and ca.key are the CA's files`,
      );
    }
    if (seen.has(key)) {
      throw new ConclaveError(
        "CERTS_ERR_BAD_NODE_NAME",
        `Cannot use the node name ${JSON.stringify(name)} twice`,
      );
    }
    seen.add(key);
  }
}

/** One file to write: its name in the output folder, its content, and what it is (for the report). */
export interface CertFile {
  name: string;
  content: string;
  what: string;
}

/** The files of `cert` under `base` (`<base>.pem`, `<base>.key`). */
export function certFiles(base: string, cert: IssuedCert, what: string): CertFile[] {
  const until = cert.cert.notAfter.toISOString().slice(0, 10);
  return [
    {
      name: `${base}.pem`,
      content: cert.certPem,
      what: `${what} certificate, valid until ${until}`,
    },
    { name: `${base}.key`, content: cert.keyPem, what: `${what} private key` },
  ];
}

/**
 * Writes `files` into `dir` (created if absent); `.key` files get mode 0600. Without `force`,
 * nothing is written when any of the files exists.
 *
 * @returns the paths written
 * @throws {ConclaveError} CERTS_ERR_EXISTS, CERTS_ERR_WRITE
 */
export async function writeCertFiles(
  dir: string,
  files: readonly CertFile[],
  force = false,
): Promise<string[]> {
  if (!force) await refuseExisting(dir, files.map((f) => f.name));
  const written: string[] = [];
  let path = dir;
  try {
    await mkdir(dir, { recursive: true });
    for (const file of files) {
      path = join(dir, file.name);
      const mode = file.name.endsWith(".key") ? 0o600 : 0o644;
      // "wx" closes the gap between the check above and the write.
      await writeFile(path, file.content, { mode, flag: force ? "w" : "wx" });
      // The mode of writeFile applies only to a new file; --force may replace a 0644 one.
      await chmod(path, mode);
      written.push(path);
    }
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "EEXIST") throw existsError([path]);
    const done = written.length > 0 ? ` (already written: ${written.join(", ")})` : "";
    throw new ConclaveError(
      "CERTS_ERR_WRITE",
      `Cannot write the certificates to ${dir}${done}: ${(cause as Error).message ?? cause}`,
      { cause },
    );
  }
  return written;
}

/** A parsed `certs` command line. */
export interface CertsArgs {
  help: boolean;
  out: string;
  nodes: string[];
  days: number;
  force: boolean;
}

/**
 * Parses the `certs` flags and checks the node names.
 *
 * @throws {ConclaveError} CLI_ERR_BAD_FLAG, CERTS_ERR_BAD_NODE_NAME
 */
export function parseCertsArgs(argv: readonly string[]): CertsArgs {
  const values = parseFlags(argv, {
    out: { type: "string" },
    nodes: { type: "string" },
    days: { type: "string" },
    force: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  const force = values.force === true;
  if (values.help) return { help: true, out: "", nodes: [], days: DEFAULT_DAYS, force };
  if (typeof values.out !== "string" || values.out === "") {
    throw new ConclaveError(
      "CLI_ERR_BAD_FLAG",
      "Cannot create certificates: --out DIR is required",
    );
  }
  if (typeof values.nodes !== "string") {
    throw new ConclaveError(
      "CLI_ERR_BAD_FLAG",
      "Cannot create certificates: --nodes a,b,c is required",
    );
  }
  let days = DEFAULT_DAYS;
  if (typeof values.days === "string") {
    days = Number(values.days);
    if (!/^[0-9]{1,5}$/.test(values.days) || days < 1 || days > MAX_DAYS) {
      throw new ConclaveError(
        "CLI_ERR_BAD_FLAG",
        `Cannot use --days ${
          JSON.stringify(values.days)
        }: expected a whole number from 1 to ${MAX_DAYS}`,
      );
    }
  }
  const nodes = values.nodes.split(",").map((n) => n.trim());
  checkNodeNames(nodes);
  return { help: false, out: values.out, nodes, days, force };
}

/**
 * Runs `conclave certs`: prints one line per file written and resolves to 0.
 *
 * @throws {ConclaveError} CLI_ERR_BAD_FLAG, CERTS_ERR_BAD_NODE_NAME, CERTS_ERR_EXISTS, CERTS_ERR_WRITE
 */
export async function certsCommand(
  argv: readonly string[],
  print: (line: string) => void = console.log,
): Promise<number> {
  const args = parseCertsArgs(argv);
  if (args.help) {
    print(CERTS_USAGE);
    return 0;
  }
  // Refuse before spending time on keys; writeCertFiles checks again.
  if (!args.force) {
    await refuseExisting(args.out, ["ca", ...args.nodes].flatMap((n) => [`${n}.pem`, `${n}.key`]));
  }
  const ca = await createCa({ days: args.days });
  const all = certFiles("ca", ca, "cluster CA");
  for (const name of args.nodes) {
    all.push(
      ...certFiles(name, await issueNodeCert(ca, name, { days: args.days }), `node ${name}`),
    );
  }
  const written = await writeCertFiles(args.out, all, args.force);
  for (let i = 0; i < written.length; i++) print(`wrote ${written[i]} (${all[i].what})`);
  print(
    `Keep ca.key out of the cluster's hosts: it only serves to issue certificates. ` +
      `Give each node its own <name>.pem and <name>.key, and ca.pem.`,
  );
  return 0;
}

function validity(options: Validity): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  const notBefore = options.notBefore ?? new Date(now - BACKDATE_MS);
  const notAfter = options.notAfter ?? new Date(now + (options.days ?? DEFAULT_DAYS) * DAY_MS);
  return { notBefore, notAfter };
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]) as CryptoKeyPair;
}

async function issued(cert: x509.X509Certificate, keys: CryptoKeyPair): Promise<IssuedCert> {
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  return {
    cert,
    keys,
    certPem: `${cert.toString("pem")}\n`,
    keyPem: `${x509.PemConverter.encode(pkcs8, "PRIVATE KEY")}\n`,
  };
}

function randomHex(bytes: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/** 16 random bytes, first byte in 0x40..0x7f: positive and of fixed DER length. */
function randomSerial(): string {
  const hex = randomHex(16);
  return ((parseInt(hex.slice(0, 2), 16) & 0x3f) | 0x40).toString(16) + hex.slice(2);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function refuseExisting(dir: string, names: readonly string[]): Promise<void> {
  const existing: string[] = [];
  for (const name of names) if (await exists(join(dir, name))) existing.push(join(dir, name));
  if (existing.length > 0) throw existsError(existing);
}

function existsError(paths: readonly string[]): ConclaveError {
  return new ConclaveError(
    "CERTS_ERR_EXISTS",
    `Cannot create certificates: ${paths.join(", ")} already exist${paths.length === 1 ? "s" : ""}`,
  );
}
