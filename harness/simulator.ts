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
  const disallow = allowBaseUrl(simulator.url);
  const close = simulator.close.bind(simulator);
  simulator.close = async () => {
    disallow();
    await close();
  };
  return simulator;
}

/** Adds a simulator's URL to this process's API base URL allowlist; the function returned takes it off again. */
export function allowBaseUrl(url: string): () => void {
  setAllowed((urls) => [...urls, url]);
  return () => setAllowed((urls) => urls.filter((allowed) => allowed !== url));
}

function setAllowed(change: (urls: string[]) => string[]): void {
  const urls = change((process.env[ALLOWED_BASE_URLS_ENV] ?? '').split(',').filter(Boolean));
  if (urls.length > 0) process.env[ALLOWED_BASE_URLS_ENV] = urls.join(',');
  else delete process.env[ALLOWED_BASE_URLS_ENV];
}
