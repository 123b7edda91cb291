/**
 * One case of `bench/cost.ts` in a fresh process, so that its heap figure holds only its own
 * cluster: `one_case.ts MANAGER MEMBERS SESSIONS WRITES` prints the row as one JSON line.
 *
 * @module
 */
import process from "node:process";
import { managerCost, type ManagerName } from "./managers.ts";

const [manager, members, sessions, writes] = process.argv.slice(2);
const row = await managerCost(
  manager as ManagerName,
  Number(members),
  Number(sessions),
  Number(writes),
);
console.log(JSON.stringify(row));
process.exit(0);
