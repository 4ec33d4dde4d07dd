import { ALLOWED_BASE_URLS_ENV } from '../config/api-base-urls';
import { startSimulator as startApiSimulator, type SimulatorOptions } from '../simulator/server';

export type { RunningSimulator, SimulatorOptions } from '../simulator/server';

/**
 * The simulator, allow-listed as an API base URL for as long as it runs: workers refuse to send a key anywhere else.
 * Test workers read the allowlist from this process's environment (in-process ones at each page, worker processes
 * when spawned, after the simulator started); the global setup turns on http:// for loopback.
 */
export async function startSimulator(options: SimulatorOptions = {}) {
  const simulator = await startApiSimulator(options);
  setAllowed((urls) => [...urls, simulator.url]);
  const close = simulator.close.bind(simulator);
  simulator.close = async () => {
    setAllowed((urls) => urls.filter((url) => url !== simulator.url));
    await close();
  };
  return simulator;
}

function setAllowed(change: (urls: string[]) => string[]): void {
  const urls = change((process.env[ALLOWED_BASE_URLS_ENV] ?? '').split(',').filter(Boolean));
  if (urls.length > 0) process.env[ALLOWED_BASE_URLS_ENV] = urls.join(',');
  else delete process.env[ALLOWED_BASE_URLS_ENV];
}
