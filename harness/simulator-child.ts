import { startSimulator, type SimulatorOptions } from '../simulator/server';

// The API simulator in a process of its own (harness/simulator-process.ts forks it): the options come as JSON in
// argv, the organizations and URL go back over the IPC channel once it listens, and it closes on disconnect.

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as SimulatorOptions;
  const simulator = await startSimulator(options);
  process.once('disconnect', () => void simulator.close().then(() => process.exit(0)));
  process.send!({ url: simulator.url, orgs: simulator.orgs });
}

main().catch((err: unknown) => {
  process.stderr.write(`simulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
