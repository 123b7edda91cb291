/**
 * Regenerates the TEST-ONLY certificates of this folder (see README.md here):
 * `npx tsx certs/regenerate.ts`, `deno run -A certs/regenerate.ts` or `bun run certs/regenerate.ts`.
 *
 * @module
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { certFiles, createCa, issueNodeCert, writeCertFiles } from "../src/cli/certs.ts";

const DAY_MS = 86_400_000;
// Long enough that the tests do not rot.
const GOOD_DAYS = 20 * 365;

const here = dirname(fileURLToPath(import.meta.url));
const now = Date.now();
// The CA starts before the expired certificate, so that one fails only by its own dates.
const ca = await createCa({
  commonName: "Conclave TEST-ONLY CA",
  notBefore: new Date(now - 60 * DAY_MS),
  days: GOOD_DAYS,
});
const otherCa = await createCa({ commonName: "Conclave TEST-ONLY other CA", days: GOOD_DAYS });

const files = certFiles("ca", ca, "TEST-ONLY CA");
for (const name of ["node1", "node2", "node3"]) {
  files.push(...certFiles(name, await issueNodeCert(ca, name, { days: GOOD_DAYS }), name));
}
files.push(...certFiles("other-ca", otherCa, "TEST-ONLY unrelated CA"));
files.push(
  ...certFiles(
    "intruder",
    await issueNodeCert(otherCa, "intruder", { days: GOOD_DAYS }),
    "intruder",
  ),
);
const expired = await issueNodeCert(ca, "expired", {
  notBefore: new Date(now - 30 * DAY_MS),
  notAfter: new Date(now - 2 * DAY_MS),
});
files.push(...certFiles("expired", expired, "expired"));

const written = await writeCertFiles(here, files, true);
for (let i = 0; i < written.length; i++) console.log(`wrote ${written[i]} (${files[i].what})`);
