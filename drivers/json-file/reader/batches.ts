/**
 * One message at a time out of batches. The reader works a block (64 KiB) at a time; handing
 * out its messages from an array costs one promise each, where a chain of async generators
 * would cost several per level (it doubled the cost of `--tail 10000`).
 */
export function flatten<T>(batches: AsyncGenerator<T[], unknown>): AsyncIterableIterator<T> {
  let batch: T[] = [];
  let i = 0;
  return {
    [Symbol.asyncIterator]() { return this; },
    async next(): Promise<IteratorResult<T>> {
      while (i >= batch.length) {
        const r = await batches.next();
        if (r.done) return { done: true, value: undefined };
        batch = r.value;
        i = 0;
      }
      return { done: false, value: batch[i++]! };
    },
    async return(): Promise<IteratorResult<T>> {
      batch = [];
      await batches.return(undefined);
      return { done: true, value: undefined };
    },
  };
}
