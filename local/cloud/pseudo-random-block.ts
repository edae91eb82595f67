// Deterministic pseudo-random block contents for the admin tool: the same seed and block index give
// the same bytes on any machine, any other pair gives different ones (an AES-256-CTR keystream).
import { createCipheriv, createHash } from "node:crypto";

export function pseudoRandomBlock(seed: string, index: number, sizeBytes: number): Buffer {
  const key = createHash("sha256").update(`snaprelay local cloud blocks, seed ${seed}`).digest();
  // The block index fills the counter's high half; the low half counts the block's 16-byte chunks.
  const counter = Buffer.alloc(16);
  counter.writeBigUInt64BE(BigInt(index), 0);
  const cipher = createCipheriv("aes-256-ctr", key, counter);
  return Buffer.concat([cipher.update(Buffer.alloc(sizeBytes)), cipher.final()]);
}
