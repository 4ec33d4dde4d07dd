import { NamespaceNotFoundError, ServiceError } from '@temporalio/client';
import { DatabaseError } from 'pg';
import { describeDatabaseUrl } from '../store/database';
import { OperatorError } from '../config/operator-error';
import type { CliContext } from './context';
import { describeCause } from './context';

/**
 * A server that refuses a request in the middle of a command (a namespace that does not exist, a failed query) is
 * an operator's problem like an unreachable one: one line naming the server. Anything else is a bug and keeps its stack.
 */
export function explainFailure(err: unknown, context: CliContext): unknown {
  if (err instanceof OperatorError) return err;
  if (err instanceof NamespaceNotFoundError) {
    const { TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE } = context.environment();
    return new OperatorError(`Temporal at ${TEMPORAL_ADDRESS} has no namespace "${TEMPORAL_NAMESPACE}" (TEMPORAL_NAMESPACE)`);
  }
  if (err instanceof ServiceError) {
    const refusal = context.temporalRefusal(err);
    if (refusal) return new OperatorError(refusal);
    const grpc = err.cause as { details?: unknown } | undefined;
    const detail = typeof grpc?.details === 'string' && grpc.details ? grpc.details : describeCause(err);
    return new OperatorError(`Temporal at ${context.environment().TEMPORAL_ADDRESS} refused the request: ${detail}`);
  }
  if (err instanceof DatabaseError) {
    return new OperatorError(`PostgreSQL at ${describeDatabaseUrl(context.environment().DATABASE_URL)} refused the request: ${describeCause(err)}`);
  }
  return err;
}
