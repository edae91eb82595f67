// Moves a copy's blocks from the source region's block store to the destination's at the configured
// bandwidth (each copy has its own), checking every block's SHA-256 as it arrives. Only written
// blocks move, as in EBS: a copy lasts as long as its data takes, whatever the volume's size.
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Manifest } from "./block-map.js";
import { type BlockStore, sha256Of } from "./block-store.js";
import { nextToSend } from "./copy-plan.js";
import { messageOf } from "./error-message.js";
import type { BlockRanges } from "./model.js";

export interface CopyTask {
  /** The destination snapshot id. */
  readonly id: string;
  readonly sourceRegion: string;
  readonly destinationRegion: string;
  readonly manifest: Manifest;
  /** The blocks to send: written blocks whose content the destination lacked when the copy began. */
  readonly sendRanges: BlockRanges;
  /** Where to resume: non-zero for a copy that was pending when the cloud stopped. */
  readonly nextBlock: number;
  /** This block arrives damaged (injected fault); blockCount means the copy fails at the end. */
  readonly failAtBlock?: number;
}

/** What a copy did since its previous report, and the block it has reached. */
export interface CopyStep {
  nextBlock: number;
  bytesTransferred: number;
  blocksTransferred: number;
  blocksStored: number;
}

export interface CopyListener {
  progressed(id: string, step: CopyStep): void;
  completed(id: string, step: CopyStep): void;
  failed(id: string, step: CopyStep, reason: string): void;
}

export interface CopyEngine {
  start(task: CopyTask): void;
  /** Stops the copy: its snapshot is being deleted. A last `progressed` counts what it sent. */
  cancel(id: string): void;
  /** Stops every copy once its current block is stored, reporting where each got to. */
  stop(): Promise<void>;
}

// How often a running copy reports progress: often enough for Progress "N%" to move visibly.
const TICK_MS = 250;
// A long run of blocks that need no disk work is sent without awaiting; let requests in now and then.
const STEPS_BETWEEN_YIELDS = 1000;

/** Why a copy failed, worded for the snapshot's StateMessage. */
class CopyFailure extends Error {}

interface RunningCopy {
  readonly task: CopyTask;
  halt?: "cancel" | "stop";
  /** Ends the current wait early, so that a halt takes effect at once. */
  wake?: () => void;
  done?: Promise<void>;
}

export function blockCopyEngine(
  blocks: BlockStore,
  bytesPerSecond: () => number,
  listener: CopyListener,
): CopyEngine {
  const running = new Map<string, RunningCopy>();

  /** Sends one block: read at the source, checked on arrival, stored at the destination. */
  async function move(task: CopyTask, block: number, sha256: string): Promise<boolean> {
    let data: Buffer;
    try {
      data = await blocks.read(task.sourceRegion, sha256);
    } catch (error) {
      throw new CopyFailure(`block ${block} could not be read: ${messageOf(error)}`);
    }
    const injected = block === task.failAtBlock;
    const arrived = injected ? damaged(data) : data;
    const arrivedSha256 = sha256Of(arrived);
    if (arrivedSha256 !== sha256) {
      throw new CopyFailure(
        `block ${block} failed its check on arrival: its SHA-256 was ${arrivedSha256.slice(0, 16)}…, not ${sha256.slice(0, 16)}…` +
          (injected ? " (damaged in transit by the copyFailureRate knob)" : ""),
      );
    }
    try {
      return await blocks.put(task.destinationRegion, sha256, arrived);
    } catch (error) {
      throw new CopyFailure(`block ${block} could not be stored: ${messageOf(error)}`);
    }
  }

  async function run(copy: RunningCopy): Promise<void> {
    const { task } = copy;
    const { manifest, failAtBlock } = task;
    const blockSize = manifest.blockSizeBytes;
    const step: CopyStep = {
      nextBlock: task.nextBlock,
      bytesTransferred: 0,
      blocksTransferred: 0,
      blocksStored: 0,
    };
    const takeStep = (): CopyStep => {
      const taken = { ...step };
      step.bytesTransferred = step.blocksTransferred = step.blocksStored = 0;
      return taken;
    };
    // Bytes the bandwidth has allowed since the last block was sent.
    let allowance = 0;
    let refilledAt = Date.now();
    let reportedAt = refilledAt;
    let stepsSinceYield = 0;
    const sent = (count: number) => {
      step.bytesTransferred += count * blockSize;
      step.blocksTransferred += count;
      allowance -= count * blockSize;
    };

    try {
      while (!copy.halt) {
        const next = nextToSend(manifest, task.sendRanges, step.nextBlock);
        if (!next) {
          step.nextBlock = manifest.blockCount;
          if (failAtBlock !== undefined) {
            const reason =
              "the copy was interrupted before it was committed (injected by the copyFailureRate knob)";
            listener.failed(task.id, takeStep(), reason);
          } else {
            listener.completed(task.id, takeStep());
          }
          return;
        }
        // The blocks passed over to get here have nothing to send (never written, or held by the
        // destination when the copy began): they take no time at all.
        step.nextBlock = next.block;
        const now = Date.now();
        const rate = bytesPerSecond();
        // Capped at a tick's worth, so that a lowered bandwidth takes effect within a tick.
        const cap = Math.max(blockSize, (rate * TICK_MS) / 1000);
        allowance = Math.min(cap, allowance + ((now - refilledAt) * rate) / 1000);
        refilledAt = now;
        if (now - reportedAt >= TICK_MS) {
          listener.progressed(task.id, takeStep());
          reportedAt = now;
        }
        if (allowance < blockSize) {
          const msToNextBlock = Math.ceil(((blockSize - allowance) * 1000) / rate);
          await sleep(copy, Math.max(1, Math.min(TICK_MS, msToNextBlock)));
          continue;
        }

        const { block, sha256 } = next;
        if (block === failAtBlock || !blocks.holds(task.destinationRegion, sha256)) {
          const stored = await move(task, block, sha256);
          sent(1);
          if (stored) step.blocksStored++;
          step.nextBlock = block + 1;
          stepsSinceYield = 0;
          continue;
        }
        // The destination has come to hold this content since the copy began (this copy sent it
        // already, for a block repeated in the snapshot, or another copy did): it still crosses
        // the wire, at the bandwidth, but needs no disk work.
        sent(1);
        step.nextBlock = block + 1;
        if (++stepsSinceYield >= STEPS_BETWEEN_YIELDS) {
          stepsSinceYield = 0;
          await yieldToEventLoop();
        }
      }
      // Halted: say how far it got, so a stopped copy resumes there and every byte sent is counted.
      listener.progressed(task.id, takeStep());
    } catch (error) {
      if (copy.halt === "cancel") {
        listener.progressed(task.id, takeStep());
        return;
      }
      const reason =
        error instanceof CopyFailure
          ? error.message
          : `the copy stopped on an unexpected error: ${messageOf(error)}`;
      listener.failed(task.id, takeStep(), reason);
    }
  }

  function halt(copy: RunningCopy, how: "cancel" | "stop"): void {
    copy.halt ??= how;
    copy.wake?.();
  }

  return {
    start(task) {
      const copy: RunningCopy = { task };
      running.set(task.id, copy);
      copy.done = run(copy).finally(() => {
        if (running.get(task.id) === copy) running.delete(task.id);
      });
    },
    cancel(id) {
      const copy = running.get(id);
      if (copy) halt(copy, "cancel");
    },
    async stop() {
      const copies = [...running.values()];
      for (const copy of copies) halt(copy, "stop");
      await Promise.all(copies.map((copy) => copy.done));
    },
  };
}

function sleep(copy: RunningCopy, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      copy.wake = undefined;
      resolve();
    };
    const timer = setTimeout(wake, ms);
    copy.wake = wake;
  });
}

/** The block as a faulty link delivers it: one byte flipped. */
function damaged(data: Buffer): Buffer {
  const copy = Buffer.from(data);
  const middle = copy.length >>> 1;
  copy.writeUInt8(copy.readUInt8(middle) ^ 0xff, middle);
  return copy;
}
