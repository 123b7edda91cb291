/**
 * Tomcat's `ChannelException` with its `FaultyMember` list.
 *
 * @module
 */
import type { Member } from "../interfaces/member.ts";
import { ConclaveError } from "../errors.ts";

/** One member a send did not reach, and why. */
export interface FaultyMember {
  member: Member;
  error: Error;
}

/**
 * A send that failed for some of its destinations. The others were reached: a send is never
 * abandoned because one member failed.
 */
export class SendError extends ConclaveError {
  readonly faultyMembers: readonly FaultyMember[];
  constructor(faultyMembers: readonly FaultyMember[]) {
    const list = faultyMembers.map((f) => `${f.member.name} (${f.error.message})`).join(", ");
    super("SEND_ERR_FAILED", `Send failed for ${faultyMembers.length} member(s): ${list}`, {
      cause: faultyMembers[0]?.error,
    });
    this.name = "SendError";
    this.faultyMembers = faultyMembers;
  }
}

/** Runs `send` for each destination in parallel; rejects with one SendError naming every failure. */
export async function sendToEach(
  destinations: readonly Member[],
  send: (member: Member) => Promise<void>,
): Promise<void> {
  const results = await Promise.allSettled(destinations.map(send));
  const faulty: FaultyMember[] = [];
  results.forEach((result, i) => {
    if (result.status === "rejected") {
      const error = result.reason instanceof Error
        ? result.reason
        : new Error(String(result.reason));
      faulty.push({ member: destinations[i], error });
    }
  });
  if (faulty.length > 0) throw new SendError(faulty);
}
