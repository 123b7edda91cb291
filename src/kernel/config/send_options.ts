/**
 * `channelSendOptions`: Tomcat's send-option bit field, written as a number or as a list of names
 * (`Channel.parseSendOptions`).
 *
 * @module
 */
import { ConfigError, describeValue } from "../../errors.ts";

/** Every name Tomcat accepts, with its bit. Names are case-sensitive, as in Tomcat. */
export const SEND_OPTION_NAMES: Readonly<Record<string, number>> = {
  byte_message: 0x01,
  byte: 0x01,
  use_ack: 0x02,
  synchronized_ack: 0x04,
  sync: 0x04,
  asynchronous: 0x08,
  async: 0x08,
  secure: 0x10,
  udp: 0x20,
  multicast: 0x40,
};

// Short names, highest bit first, as Tomcat's getSendOptionsAsString renders them.
const SHORT_NAMES: readonly [string, number][] = [
  ["multicast", 0x40],
  ["udp", 0x20],
  ["secure", 0x10],
  ["async", 0x08],
  ["sync", 0x04],
  ["use_ack", 0x02],
  ["byte", 0x01],
];

const KNOWN = "byte_message (byte), use_ack, synchronized_ack (sync), asynchronous (async), " +
  "secure, udp, multicast";
const EXPECTED = `a positive integer bit field, or a comma list of ${KNOWN}`;
const MAX = 0x7fffffff;

/** Where the value sits, for the error. */
export interface SendOptionsSource {
  readonly file: string;
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
}

/**
 * Parses a bit field given as a number, a decimal string (`"6"`) or a comma list of names
 * (`"use_ack, sync"`), ORing the names together.
 *
 * Tomcat silently keeps its default for a value of 0 or less; we reject it, so a typo cannot
 * quietly change how sessions replicate.
 *
 * @throws {CONFIG_ERR_SEND_OPTIONS} an unknown name, an empty item, or a number out of range
 * @throws {CONFIG_ERR_TYPE} neither a number nor a string
 */
export function parseSendOptions(
  value: unknown,
  source: SendOptionsSource = { file: "<code>", path: "channelSendOptions" },
): number {
  const fail = (found: string, code: "CONFIG_ERR_SEND_OPTIONS" | "CONFIG_ERR_TYPE") =>
    new ConfigError(code, { ...source, found, expected: EXPECTED });
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 1 || value > MAX) {
      throw fail(describeValue(value), "CONFIG_ERR_SEND_OPTIONS");
    }
    return value;
  }
  if (typeof value !== "string") throw fail(describeValue(value), "CONFIG_ERR_TYPE");
  const text = value.trim();
  if (/^[+-]?[0-9]+$/.test(text)) {
    const bits = Number(text);
    if (bits < 1 || bits > MAX) throw fail(describeValue(value), "CONFIG_ERR_SEND_OPTIONS");
    return bits;
  }
  let bits = 0;
  for (const item of text.split(",")) {
    const name = item.trim();
    if (!Object.hasOwn(SEND_OPTION_NAMES, name)) {
      const what = name === "" ? "an empty name" : `the unknown name ${JSON.stringify(name)}`;
      throw fail(`${what} in ${JSON.stringify(value)}`, "CONFIG_ERR_SEND_OPTIONS");
    }
    bits |= SEND_OPTION_NAMES[name];
  }
  return bits;
}

/** Renders a bit field as Tomcat does, highest bit first: `"async"`, `"sync, use_ack"`. */
export function formatSendOptions(bits: number): string {
  const names = SHORT_NAMES.filter(([, bit]) => (bits & bit) !== 0).map(([name]) => name);
  const rest = bits & ~0x7f;
  if (rest !== 0) names.unshift(`0x${rest.toString(16)}`);
  return names.join(", ");
}
