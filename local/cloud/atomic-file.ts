// Writes files so that readers and crashes see the old content or the new, never half of it:
// write a temporary file beside it, flush it to disk, then rename (or link) it into place.
import { link, mkdir, open, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";

export async function writeFileAtomically(file: string, content: string): Promise<void> {
  const temporary = await writeTemporary(file, content);
  await rename(temporary, file);
}

/**
 * Creates the file whole with `mode`, unless it already exists: then it is left as it is and this
 * answers false. link(2) never replaces its target, so of two processes creating the file at once
 * exactly one wins, and neither can see it half written.
 */
export async function createFileAtomically(
  file: string,
  content: string,
  mode: number,
): Promise<boolean> {
  const temporary = await writeTemporary(file, content, mode);
  try {
    await link(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await unlink(temporary);
  }
}

async function writeTemporary(file: string, content: string, mode?: number): Promise<string> {
  const temporary = `${file}.${process.pid}.tmp`;
  await mkdir(dirname(file), { recursive: true });
  const handle = await open(temporary, "w", mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temporary;
}
