/**
 * Resolves on the first Ctrl-C or SIGTERM. The handlers stay installed: a terminal's Ctrl-C reaches npm and tsx too,
 * which pass it on, and a second SIGINT must not kill this process while it is still stopping what it started.
 */
export function untilInterrupted(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) return;
      received = true;
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
