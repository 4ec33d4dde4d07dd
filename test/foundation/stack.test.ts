import { openDatabase } from '../../store/database';
import { migrate } from '../../store/migrate';
import { allSearchAttributes } from '../../contract/search-attributes';
import { connectClient } from '../../harness/worker';

describe('the test stack', () => {
  it('registers every custom search attribute on the dev server', async () => {
    const client = await connectClient();
    try {
      const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace: client.options.namespace });
      for (const key of allSearchAttributes) {
        expect(Object.keys(customAttributes ?? {})).toContain(key.name);
      }
    } finally {
      await client.connection.close();
    }
  });

  it('has a migrated PostgreSQL whose migrations are idempotent', async () => {
    const db = openDatabase(process.env.DATABASE_URL!);
    try {
      expect(await migrate(db)).toEqual([]);
      const { rows } = await db.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
      );
      expect(rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['checkpoints', 'events', 'sources', 'schema_migrations']));
    } finally {
      await db.close();
    }
  });
});
