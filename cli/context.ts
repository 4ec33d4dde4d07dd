import { Client, Connection } from '@temporalio/client';
import { createCredentialCipher, CredentialCipher, parseCredentialKeys } from '../store/credentials';
import { Database, describeDatabaseUrl, openDatabase } from '../store/database';
import { migrate } from '../store/migrate';
import { Environment, loadEnvironment } from '../config/environment';
import { OperatorError } from '../config/operator-error';
import { type TemporalConnection, temporalConnection } from '../config/temporal-connection';
import type { OutputFormat } from './output';
import { probeTcp } from './tcp-probe';

/**
 * What commands share. Everything opens on first use, so `--help` and a rejected flag need no server, and a command
 * touches only what it needs; `close` releases whatever was opened.
 */
export interface CliContext {
  environment(): Environment;
  database(): Promise<Database>;
  temporal(): Promise<Client>;
  cipher(): CredentialCipher;
  /** Temporal's refusal of a call for its credentials (an API key without the namespace), naming the setting. */
  temporalRefusal(err: unknown): string | undefined;
  /** How the command prints its result: `-o text` or `-o json`, set from the command line before its action runs. */
  outputFormat(): OutputFormat;
  useOutputFormat(format: OutputFormat): void;
  close(): Promise<void>;
}

const TEMPORAL_CONNECT_TIMEOUT = '10 seconds';

export function createCliContext(variables: NodeJS.ProcessEnv = process.env): CliContext {
  let environment: Environment | undefined;
  let database: Promise<Database> | undefined;
  let temporal: Promise<Client> | undefined;
  let cipher: CredentialCipher | undefined;
  let connectionSettings: TemporalConnection | undefined;
  let outputFormat: OutputFormat = 'text';
  const opened: Array<() => Promise<void>> = [];

  const env = () => (environment ??= loadEnvironment(variables));

  async function openMigratedDatabase(): Promise<Database> {
    const { DATABASE_URL } = env();
    const db = openDatabase(DATABASE_URL, { maxConnections: 2 });
    opened.push(() => db.close());
    try {
      await migrate(db);
    } catch (err) {
      const cause = withoutPassword(describeCause(err), DATABASE_URL);
      const what = isConnectionFailure(err) ? 'cannot reach' : 'cannot prepare the tables in';
      throw new OperatorError(`${what} PostgreSQL at ${describeDatabaseUrl(DATABASE_URL)} (DATABASE_URL): ${cause}`);
    }
    return db;
  }

  async function connectTemporal(): Promise<Client> {
    const { TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE } = env();
    const unreachable = await probeTcp(TEMPORAL_ADDRESS);
    if (unreachable) throw new OperatorError(`cannot reach Temporal at ${TEMPORAL_ADDRESS} (TEMPORAL_ADDRESS): ${unreachable}`);
    const settings = (connectionSettings = temporalConnection(variables));
    await settings.checkTls();
    let connection: Connection;
    try {
      connection = await Connection.connect({ ...settings.options, connectTimeout: TEMPORAL_CONNECT_TIMEOUT });
    } catch (err) {
      throw new OperatorError(await settings.describeFailure(err));
    }
    opened.push(() => connection.close());
    return new Client({ connection, namespace: TEMPORAL_NAMESPACE });
  }

  return {
    environment: env,
    database: () => (database ??= openMigratedDatabase()),
    temporal: () => (temporal ??= connectTemporal()),
    cipher: () => (cipher ??= createCredentialCipher(parseCredentialKeys(env()))),
    temporalRefusal: (err) => connectionSettings?.describeRefusal(err),
    outputFormat: () => outputFormat,
    useOutputFormat: (format) => {
      outputFormat = format;
    },
    async close() {
      // Opened last, closed first; a failure to close must not hide the command's own outcome.
      for (const close of opened.reverse()) await close().catch(() => undefined);
      opened.length = 0;
    },
  };
}

/** One line from an error of any shape: Node's connection errors may be AggregateErrors with an empty message. */
export function describeCause(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return describeCause(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const text = err.message || (typeof code === 'string' ? code : err.name);
    return text.split('\n')[0].trim();
  }
  return String(err);
}

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

function isConnectionFailure(err: unknown): boolean {
  const first = err instanceof AggregateError && err.errors.length > 0 ? err.errors[0] : err;
  const code = (first as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) || /timeout|terminated unexpectedly/i.test(describeCause(first));
}

function withoutPassword(text: string, connectionString: string): string {
  try {
    const password = decodeURIComponent(new URL(connectionString).password);
    return password ? text.split(password).join('***') : text;
  } catch {
    return text;
  }
}
