const NEWLINE = 0x0a;

/**
 * Records as NDJSON bytes (UTF-8, each line ended), written straight into one buffer: for one record or more, the
 * bytes of Buffer.from(records.join('\n') + '\n'). The join would copy a batch's text twice on the worker's one
 * thread, the one ingestion runs on: into one string (flattening every spliced record), then again to encode it.
 */
export function ndjsonBytes(records: readonly string[]): Buffer {
  let size = 0;
  for (const record of records) size += Buffer.byteLength(record) + 1;
  const bytes = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const record of records) {
    offset += bytes.write(record, offset);
    bytes[offset++] = NEWLINE;
  }
  return bytes;
}
