import { Context } from '@temporalio/activity';

/**
 * Runs the activity's work while heartbeating on a timer, whatever the work awaits (a query, a send, an ack): a
 * heartbeat timeout of a few intervals then tells a dead worker from a slow send within seconds, and a live attempt
 * whose heartbeat Temporal refuses (timed out, cancelled) hears of it just as soon, through its cancellation signal.
 */
export async function heartbeatingEvery<T>(intervalMs: number, work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
