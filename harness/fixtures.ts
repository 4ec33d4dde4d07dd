import type { Database } from '../store/database';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from './simulator';
import { openTestDatabase } from './sources';

export interface SimulatorAndDatabase {
  simulator: RunningSimulator;
  db: Database;
}

/**
 * Starts a simulator and opens the run's database before a file's tests and closes both after them. `use` receives
 * them once they exist, so a file keeps plain variables: `useSimulatorAndDatabase(options, (f) => ({ simulator, db } = f))`.
 */
export function useSimulatorAndDatabase(
  options: SimulatorOptions,
  use: (fixture: SimulatorAndDatabase) => void,
  openDatabase: () => Database = openTestDatabase,
): void {
  let fixture: Partial<SimulatorAndDatabase> = {};
  beforeAll(async () => {
    fixture = { simulator: await startSimulator(options), db: openDatabase() };
    use(fixture as SimulatorAndDatabase);
  });
  afterAll(async () => {
    await fixture.db?.close();
    await fixture.simulator?.close();
  });
}
