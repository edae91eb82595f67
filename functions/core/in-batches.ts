// Bounded concurrency for the core's fan-out reads: a few calls at once, never all of them.

/** Runs `work` over `items`, `width` at a time, answering in the order of `items`. */
export const inBatches = async <T, R>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> => {
  const results: R[] = [];
  for (let index = 0; index < items.length; index += width) {
    results.push(...(await Promise.all(items.slice(index, index + width).map(work))));
  }
  return results;
};
