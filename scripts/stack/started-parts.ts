/**
 * What a stack profile has started so far. stop() stops it newest first, as the profile's own stop and when a later
 * start fails; a part that fails to stop is said and the others are still stopped.
 */
export class StartedParts {
  private readonly parts: { name: string; stop(): Promise<void> }[] = [];

  constructor(private readonly log: (line: string) => void) {}

  add(name: string, stop: () => Promise<void>): void {
    this.parts.push({ name, stop });
  }

  readonly stop = async (): Promise<void> => {
    for (const part of this.parts.splice(0).reverse()) {
      this.log(`stopping ${part.name}`);
      await part.stop().catch((err: Error) => this.log(`  ${part.name}: ${err.message}`));
    }
  };
}
