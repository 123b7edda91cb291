/**
 * Failover of `bench/http.ts`: kill -9 of the node a session lives on, then writes with its cookie
 * to the other nodes until one answers with the session intact; then the node is restarted.
 *
 * @module
 */
import { logged } from "../../test/helpers/node_process.ts";
import { fixed } from "../lib/stats.ts";
import { restartConclaveNode } from "./conclave.ts";
import { restartExpress } from "./redis.ts";
import { progress, type Settings } from "./settings.ts";
import type { SetUp } from "./setup.ts";
import { cookieOf, sleep } from "./util.ts";

export interface FailoverRow {
  setUp: string;
  runtime: string;
  /** ms from kill -9 to the first right answer from another node, per trial. */
  trials: number[];
  /** Requests it took (the first is sent right after the kill). */
  attempts: number[];
  /** Wrong answers and errors before the right one, summed over the trials. */
  wrong: number;
  /** Conclave: ms from the kill to each survivor's "Member disappeared". */
  detection: number[];
  /** "Session replication failed" warnings on the survivors during the trials. */
  replicationWarnings: number;
  /** ms to restart the killed node until it has joined again. */
  restart: number[];
}

export async function failover(setUp: SetUp, settings: Settings): Promise<FailoverRow> {
  const row: FailoverRow = {
    setUp: setUp.id,
    runtime: setUp.runtime,
    trials: [],
    attempts: [],
    wrong: 0,
    detection: [],
    replicationWarnings: 0,
    restart: [],
  };
  const victimIndex = setUp.servers.length - 1;
  for (let trial = 0; trial < settings.trials; trial++) {
    const victim = setUp.servers[victimIndex];
    const survivors = setUp.servers.filter((s) => s !== victim);
    // A client sticks to the victim: three writes there, counter 3.
    let cookie = "";
    let n = 0;
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`http://127.0.0.1:${victim.httpPort}/write`, {
        headers: cookie ? { cookie } : {},
      });
      n = ((await response.json()) as { n: number }).n;
      cookie ||= cookieOf(response, setUp.cookieName) ?? "";
    }
    if (n !== 3 || !cookie) throw new Error(`${setUp.id}: could not make a session on the victim`);
    await sleep(50);
    const marks = survivors.map((s) => s.proc.mark());
    const killedAt = Date.now();
    const t0 = performance.now();
    victim.proc.signal("SIGKILL");
    let took = Infinity;
    let attempts = 0;
    while (performance.now() - t0 < 15_000) {
      const target = survivors[attempts % survivors.length];
      attempts++;
      try {
        const response = await fetch(`http://127.0.0.1:${target.httpPort}/write`, {
          headers: { cookie },
          signal: AbortSignal.timeout(5000),
        });
        const text = await response.text();
        if (response.ok && (JSON.parse(text) as { n: number }).n === 4) {
          took = performance.now() - t0;
          break;
        }
        row.wrong++;
      } catch {
        row.wrong++;
      }
      await sleep(1);
    }
    row.trials.push(took);
    row.attempts.push(attempts);
    await victim.proc.exited;
    if (setUp.kind === "conclave") {
      const seen = await Promise.all(
        survivors.map((s, i) =>
          s.proc.next(logged("Member disappeared", victim.name), {
            from: marks[i],
            timeoutMs: 10_000,
          })
        ),
      );
      for (const line of seen) row.detection.push(line ? line.time - killedAt : Infinity);
      row.replicationWarnings += survivors.reduce(
        (sum, s, i) =>
          sum + s.proc.lines.slice(marks[i]).filter(logged("Session replication failed")).length,
        0,
      );
      row.restart.push(await restartConclaveNode(setUp, victimIndex));
    } else {
      row.restart.push(await restartExpress(setUp, victimIndex));
    }
    progress(
      `${setUp.id} failover ${trial + 1}/${settings.trials}: ${fixed(took, 1)} ms ` +
        `(${attempts} request(s)); restarted in ${row.restart[row.restart.length - 1]} ms`,
    );
  }
  return row;
}
