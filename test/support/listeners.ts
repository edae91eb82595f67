// The TCP sockets a process tree listens on, read from Linux's /proc (what `ss -ltnp` shows):
// each descendant's open sockets, matched by inode to the kernel's tables of listening sockets.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface Listener {
  pid: number;
  address: string;
  port: number;
}

const childrenOf = (pid: number): number[] => {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, "utf8")
        .split(" ")
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }
};

/** `pid` and every process below it. */
export const processTree = (pid: number): number[] => {
  const tree = [pid];
  for (let index = 0; index < tree.length; index++) {
    tree.push(...childrenOf(tree[index] as number));
  }
  return tree;
};

const socketInodes = (pid: number): Set<string> => {
  const inodes = new Set<string>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1]) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
};

/** An address of /proc/net/tcp{,6} in the words `ss` uses: 127.0.0.1, ::1, 0.0.0.0, ::. */
const addressOf = (raw: string): string => {
  const hex = raw.toLowerCase();
  if (hex.length === 8) {
    return [3, 2, 1, 0].map((i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join(".");
  }
  // IPv6: four 32-bit words, each in the host's (little-endian) byte order.
  const bytes = [0, 1, 2, 3].flatMap((word) =>
    [3, 2, 1, 0].map((i) => hex.slice(word * 8 + i * 2, word * 8 + i * 2 + 2)),
  );
  const joined = bytes.join("");
  if (/^0{20}ffff/.test(joined)) {
    return `::ffff:${addressOf([3, 2, 1, 0].map((i) => joined.slice(24 + i * 2, 26 + i * 2)).join(""))}`;
  }
  if (/^0{32}$/.test(joined)) return "::";
  if (joined === `${"0".repeat(31)}1`) return "::1";
  return joined.replace(/(.{4})(?!$)/g, "$1:");
};

const LISTEN = "0A";

/** Every TCP socket the processes listen on. */
export const listenersOf = (pids: readonly number[]): Listener[] => {
  const owner = new Map<string, number>();
  for (const pid of pids) for (const inode of socketInodes(pid)) owner.set(inode, pid);
  const listeners: Listener[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [, local, , state, , , , , , inode] = fields;
      if (!local || state !== LISTEN || !inode) continue;
      const pid = owner.get(inode);
      if (pid === undefined) continue;
      const [hex = "", port = "0"] = local.split(":");
      listeners.push({ pid, address: addressOf(hex), port: Number.parseInt(port, 16) });
    }
  }
  return listeners;
};

/** Whether an address is the loopback interface's, in either family. */
export const isLoopback = (address: string): boolean =>
  /^127\./.test(address) || address === "::1" || /^::ffff:127\./.test(address);

/** A process's command line, shortened, to name it in a message. */
export const commandOf = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").slice(0, 160);
  } catch {
    return "(gone)";
  }
};
