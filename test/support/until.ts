// Waiting in a test for something the stack does in its own time: `probe` is asked every
// `everyMs` until it answers a value, which `until` returns; past `timeoutMs` it throws, saying
// what it waited for.
export const until = async <T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 120_000,
  everyMs = 250,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
};
