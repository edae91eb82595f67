// Reads an HTTP request body, refusing one past a size limit with the caller's error.
import type { IncomingMessage } from "node:http";

/** The body's bytes, exactly as sent: a signature covers them. */
export async function readBody(
  request: IncomingMessage,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export async function readBodyText(
  request: IncomingMessage,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<string> {
  return (await readBody(request, maxBytes, tooLarge)).toString("utf8");
}
