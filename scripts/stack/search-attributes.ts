import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType, SearchAttributeType } from '@temporalio/common/lib/search-attributes';
import { allSearchAttributes } from '../../contract/search-attributes';

/** `--search-attribute` flags for `temporal server start-dev`: they only take effect for a new database file. */
export function startDevSearchAttributeFlags(): string[] {
  const cliType: Record<SearchAttributeType, string> = { KEYWORD: 'Keyword', DATETIME: 'Datetime', INT: 'Int', BOOL: 'Bool', TEXT: 'Text', DOUBLE: 'Double', KEYWORD_LIST: 'KeywordList' };
  return allSearchAttributes.flatMap((key) => ['--search-attribute', `${key.name}=${cliType[key.type]}`]);
}

/**
 * Registers the project's search attributes that the namespace lacks (what `temporal operator search-attribute create`
 * does), so an existing dev-server database or a production cluster gets new attributes too. Returns the names added.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = allSearchAttributes.filter((key) => !(key.name in (customAttributes ?? {})));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!])),
  });
  return missing.map((key) => key.name);
}
