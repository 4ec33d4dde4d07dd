import { Client } from 'pg';

// What the Temporal server writes to its own PostgreSQL over a span: transactions and rows from the statistics of its
// two databases, rows by table, and the WAL the whole PostgreSQL wrote (which holds nothing else).

const TEMPORAL_DATABASES = ['temporal', 'temporal_visibility'] as const;

interface RowWrites {
  inserted: number;
  updated: number;
  deleted: number;
}

interface DatabaseCounters extends RowWrites {
  /** Committed transactions, read-only ones too: the server's reads are transactions as well. */
  commits: number;
}

interface Snapshot {
  walBytes: number;
  databases: Record<string, DatabaseCounters>;
  /** By `database.table`. */
  tables: Record<string, RowWrites>;
}

export interface ServerWrites {
  walBytes: number;
  databases: Record<string, DatabaseCounters>;
  /** Tables that took rows, most first. */
  tables: Array<{ table: string } & RowWrites>;
}

export const rowsOf = (writes: RowWrites) => writes.inserted + writes.updated + writes.deleted;

/** Counters now; the meter's own few queries count too, a handful of transactions against thousands. */
async function snapshot(serverUrl: string): Promise<Snapshot> {
  const result: Snapshot = { walBytes: 0, databases: {}, tables: {} };
  for (const database of TEMPORAL_DATABASES) {
    const url = new URL(serverUrl);
    url.pathname = `/${database}`;
    const client = new Client({ connectionString: url.toString() });
    await client.connect();
    try {
      const { rows: [counters] } = await client.query<DatabaseCounters>(
        `SELECT xact_commit::float8 AS commits, tup_inserted::float8 AS inserted, tup_updated::float8 AS updated, tup_deleted::float8 AS deleted
           FROM pg_stat_database WHERE datname = current_database()`,
      );
      result.databases[database] = counters;
      const { rows } = await client.query<RowWrites & { table: string }>(
        'SELECT relname AS table, n_tup_ins::float8 AS inserted, n_tup_upd::float8 AS updated, n_tup_del::float8 AS deleted FROM pg_stat_user_tables',
      );
      for (const { table, ...writes } of rows) result.tables[`${database}.${table}`] = writes;
      const { rows: [wal] } = await client.query<{ bytes: number }>(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8 AS bytes`);
      result.walBytes = wal.bytes;
    } finally {
      await client.end();
    }
  }
  return result;
}

const minus = <T extends object>(after: T, before: T | undefined): T =>
  Object.fromEntries(Object.entries(after).map(([key, value]) => [key, (value as number) - ((before as Record<string, number> | undefined)?.[key] ?? 0)])) as T;

export class ServerWriteMeter {
  private constructor(
    private readonly serverUrl: string,
    private readonly start: Snapshot,
  ) {}

  static async start(serverUrl: string): Promise<ServerWriteMeter> {
    return new ServerWriteMeter(serverUrl, await snapshot(serverUrl));
  }

  async stop(): Promise<ServerWrites> {
    const end = await snapshot(this.serverUrl);
    const tables = Object.entries(end.tables)
      .map(([table, writes]) => ({ table, ...minus(writes, this.start.tables[table]) }))
      .filter((writes) => rowsOf(writes) > 0)
      .sort((a, b) => rowsOf(b) - rowsOf(a));
    return {
      walBytes: end.walBytes - this.start.walBytes,
      databases: Object.fromEntries(TEMPORAL_DATABASES.map((database) => [database, minus(end.databases[database], this.start.databases[database])])),
      tables,
    };
  }
}
