import { fork } from 'node:child_process';
import path from 'node:path';
import type { OrgInfo } from '../simulator/state';
import type { SimulatorOptions } from '../simulator/server';
import { allowBaseUrl } from './simulator';

/** A simulator in a child process: what a worker sees of the API, with none of its CPU in the caller's process. */
export interface SimulatorProcess {
  url: string;
  readonly orgs: OrgInfo[];
  pid: number;
  close(): Promise<void>;
}

/**
 * Forks harness/simulator-child.ts with this process's Node flags (tsx included) and allow-lists its URL for this
 * process's workers, as startSimulator does for one in process. Options that are functions (`now`) cannot cross.
 */
export async function startSimulatorProcess(options: Omit<SimulatorOptions, 'now'>): Promise<SimulatorProcess> {
  const child = fork(path.join(__dirname, 'simulator-child.ts'), [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { url, orgs } = await new Promise<{ url: string; orgs: OrgInfo[] }>((resolve, reject) => {
    child.once('message', (message) => resolve(message as { url: string; orgs: OrgInfo[] }));
    child.once('exit', (code) => reject(new Error(`the simulator process exited with ${code} before it listened`)));
  });
  const disallow = allowBaseUrl(url);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    orgs,
    pid: child.pid!,
    async close() {
      disallow();
      child.disconnect();
      await exited;
    },
  };
}
