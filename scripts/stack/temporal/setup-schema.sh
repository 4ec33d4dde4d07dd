#!/bin/sh
# Creates Temporal's two databases and sets up or upgrades their schema, idempotently: run by docker-compose.yml's
# temporal-schema job (in the admin-tools image) and by the cluster profile (natively), so both set up alike.
# Environment: SQL_TOOL (temporal-sql-tool), SCHEMA_DIR (schema/postgresql/v12), DBNAME, VISIBILITY_DBNAME, and
# SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD, which temporal-sql-tool reads itself: the password is never in argv.
set -eu
: "${SQL_TOOL:=temporal-sql-tool}" "${DBNAME:=temporal}" "${VISIBILITY_DBNAME:=temporal_visibility}"
tool() { "$SQL_TOOL" --plugin postgres12 "$@"; }
for pair in "$DBNAME:temporal" "$VISIBILITY_DBNAME:visibility"; do
  db=${pair%%:*}
  dir=$SCHEMA_DIR/${pair#*:}/versioned
  # create fails when the database exists, and setup-schema when its version table does: both are fine.
  tool --db "$db" create >/dev/null 2>&1 || true
  tool --db "$db" setup-schema -v 0.0 >/dev/null 2>&1 || true
  tool --db "$db" update-schema -d "$dir"
done
