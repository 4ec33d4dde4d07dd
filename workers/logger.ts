import { ApplicationFailure, type Logger as TemporalLogger, type LogLevel as TemporalLogLevel, type LogMetadata } from '@temporalio/common';
import type { RuntimeOptions } from '@temporalio/worker';
import { pino, stdSerializers, type DestinationStream, type Level, type Logger } from 'pino';
import pretty, { type PrettyOptions } from 'pino-pretty';
import type { Environment } from '../config/environment';
import { sourceNameOfWorkflow } from '../contract/ids';

/**
 * Context the pretty form leaves out: a person watching the demo knows them or reads them in the Web UI, a log
 * pipeline wants them. The source leads the message instead.
 */
const PRETTY_IGNORES = ['pid', 'hostname', 'namespace', 'taskQueue', 'isLocal', 'activityId', 'workflowType', 'workflowId', 'runId', 'sdkComponent', 'target', 'source'];

/** The readable form, also used by the local stack to show the tail of a JSON log. No colours: it lands in files. */
export const PRETTY_OPTIONS: PrettyOptions = {
  colorize: false,
  singleLine: true,
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: PRETTY_IGNORES.join(','),
  messageFormat: '{if source}[{source}] {end}{msg}',
};

/**
 * The worker's one logger: JSON lines on stdout (or `destination`), or a readable form for `make demo`. Writes to
 * stdout are synchronous, so a worker killed mid-flight has written every line it logged.
 */
export function createLogger(env: Pick<Environment, 'LOG_LEVEL' | 'LOG_FORMAT'>, destination: DestinationStream = pino.destination({ dest: 1, sync: true })): Logger {
  const options = { level: env.LOG_LEVEL, serializers: { err: serializeError }, timestamp: pino.stdTimeFunctions.isoTime };
  return pino(options, env.LOG_FORMAT === 'pretty' ? pretty({ ...PRETTY_OPTIONS, sync: true, destination }) : destination);
}

/**
 * An error as its class, message and stack (causes folded in, as pino does), its code, and an ApplicationFailure's
 * type. Nothing else: libraries hang whole objects on their errors (node-postgres its client), which would bloat a
 * line and could carry what no log should.
 */
function serializeError(err: Error): unknown {
  if (!(err instanceof Error)) return err;
  const { type, message, stack } = stdSerializers.err(err);
  const { code } = err as { code?: unknown };
  return {
    type,
    message,
    stack,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(err instanceof ApplicationFailure && err.type ? { failureType: err.type } : {}),
  };
}

const PINO_LEVEL: Record<TemporalLogLevel, Level> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };
const TEMPORAL_LEVEL: Record<Level, TemporalLogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR' };

/**
 * What the Temporal runtime needs so that everything it logs reaches the same logger: the SDK's own lines, workflow
 * `log` calls (which the worker's built-in sink hands to the runtime logger), activity `Context.log`, and the Rust
 * core's lines, forwarded instead of printed to the console.
 */
export function runtimeLogging(logger: Logger): Pick<RuntimeOptions, 'logger' | 'telemetryOptions'> {
  const level = TEMPORAL_LEVEL[logger.level as Level] ?? 'INFO';
  return {
    logger: new PinoTemporalLogger(logger),
    // Core's dependencies (networking, gRPC) speak up only for errors; core itself at the chosen level.
    telemetryOptions: { logging: { filter: { core: level, other: 'ERROR' }, forward: {} } },
  };
}

/** The Temporal SDK's Logger interface, written to pino with the SDK's context made uniform across sources. */
export class PinoTemporalLogger implements TemporalLogger {
  constructor(private readonly logger: Logger) {}

  log(level: TemporalLogLevel, message: string, meta?: LogMetadata): void {
    this.logger[PINO_LEVEL[level]](lineFields(meta ?? {}), message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/**
 * Workflow lines name the run `runId`, activity lines `workflowRunId`: both become `runId`. The SDK's `error` becomes
 * pino's `err`, so it is serialized with its stack. The task token goes: it is long, and whoever holds it can complete
 * the activity. The source, where the workflow is a source's, is read from the workflow id.
 */
function lineFields(meta: LogMetadata): Record<string, unknown> {
  const { workflowRunId, error, ...fields } = meta as Record<string, unknown>;
  delete fields.taskToken;
  if (workflowRunId !== undefined) fields.runId = workflowRunId;
  if (error !== undefined) fields.err = error;
  if (typeof fields.workflowId === 'string') {
    const source = sourceNameOfWorkflow(fields.workflowId, typeof fields.workflowType === 'string' ? fields.workflowType : undefined);
    if (source !== undefined) fields.source = source;
  }
  return fields;
}
