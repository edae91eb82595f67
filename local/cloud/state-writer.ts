// Saves the store when it changes: requests that changed it wait for their save (an answered
// request is on disk), while progress ticks only ask for a save soon. One write at a time.

const SOON_MS = 200;

export class StateWriter {
  private dirty = false;
  private writing: Promise<void> | undefined;
  private soon: NodeJS.Timeout | undefined;

  constructor(
    private readonly save: () => Promise<void>,
    private readonly onBackgroundError: (error: unknown) => void,
  ) {}

  /** Saves every change made so far; resolves once they are on disk. */
  async flush(): Promise<void> {
    while (this.dirty || this.writing) {
      if (this.writing) {
        await this.writing;
        continue;
      }
      this.dirty = false;
      this.writing = this.save()
        .catch((error: unknown) => {
          this.dirty = true;
          throw error;
        })
        .finally(() => {
          this.writing = undefined;
        });
      await this.writing;
    }
  }

  markChanged(): void {
    this.dirty = true;
  }

  /** For changes nobody waits on: coalesces them into one save shortly after. */
  saveSoon(): void {
    this.dirty = true;
    this.soon ??= setTimeout(() => {
      this.soon = undefined;
      this.flush().catch(this.onBackgroundError);
    }, SOON_MS);
  }

  /** Cancels the pending background save and writes everything now. */
  async close(): Promise<void> {
    clearTimeout(this.soon);
    this.soon = undefined;
    await this.flush();
  }
}
