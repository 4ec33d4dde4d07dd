import { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';

/**
 * The one way into PostgreSQL: a pool, plain queries, and transactions that always release their client.
 */
export interface Database {
  pool: Pool;
  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<QueryResult<R>>;
  withTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  maxConnections?: number;
  /** Where a process with a logger of its own (the worker) says that an idle connection broke; stderr otherwise. */
  onIdleClientError?: (err: Error) => void;
}

export function openDatabase(connectionString: string, { maxConnections = 10, onIdleClientError }: DatabaseOptions = {}): Database {
  const pool = new Pool({ connectionString, max: maxConnections, connectionTimeoutMillis: 10_000 });
  // An idle client can lose its server (restart, network): without this listener the error would crash the process.
  pool.on('error', onIdleClientError ?? ((err) => process.stderr.write(`postgres: idle client error: ${err.message}\n`)));
  return {
    pool,
    query: (text, params) => pool.query(text, params),
    async withTransaction(work) {
      const client = await pool.connect();
      // The pool listens for errors only on idle clients. A server that goes away while this client is checked out
      // makes it emit 'error', which would crash the worker with no listener; the query in flight rejects anyway,
      // so the listener only notes that the connection is gone and must not go back to the pool.
      let connectionLost: Error | undefined;
      const onConnectionError = (err: Error) => {
        connectionLost = err;
      };
      client.on('error', onConnectionError);
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          connectionLost ??= rollbackError;
        });
        throw err;
      } finally {
        client.removeListener('error', onConnectionError);
        // Releasing with an error destroys the client instead of handing a dead connection to the next page.
        client.release(connectionLost);
      }
    },
    close: () => pool.end(),
  };
}

/** host:port/database of a connection string, for messages: never the password. */
export function describeDatabaseUrl(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    return `${url.hostname}:${url.port || 5432}${url.pathname}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}
