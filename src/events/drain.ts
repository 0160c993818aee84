/**
 * Runs `pass` until it reports nothing left: a pass that handled fewer than `full` items (by default
 * any, so until one handles none). Calls made while a drain is running coalesce into one more
 * round, so a burst of commits causes a handful of passes, not one each.
 */
export class Drain {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly pass: () => Promise<number>,
    private readonly onError: (error: unknown) => void,
    private readonly full = 1,
  ) {}

  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          while ((await this.pass()) >= this.full);
        } while (this.again);
      } catch (error) {
        this.onError(error);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** Resolves when no drain is running (shutdown). */
  async idle(): Promise<void> {
    await this.running;
  }
}
