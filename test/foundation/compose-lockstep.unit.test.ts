import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as load } from 'yaml';
import { allSearchAttributes } from '../../contract/search-attributes';
import { DYNAMIC_CONFIG_FILE, schemaEnvironment, serverEnvironment, TEMPORAL_FILES } from '../../scripts/stack/cluster-temporal';
import { TEMPORAL_SERVER_VERSION, TEMPORAL_UI_VERSION } from '../../scripts/stack/temporal-versions';
import { composeConfig } from '../../harness/compose';


interface Service {
  image?: string;
  environment?: Record<string, string | number | null>;
  volumes?: (string | { source: string; target: string })[];
  command?: string[] | string;
  entrypoint?: string[];
}

// What `docker-compose config` resolves: defaults filled in, relative paths made absolute.
const compose = load(composeConfig()) as {
  services: Record<string, Service>;
};
const service = (name: string) => compose.services[name];
const envNames = (name: string) => Object.keys(service(name).environment ?? {}).sort();
const mounts = (name: string) =>
  (service(name).volumes ?? []).map((v) => (typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : { source: v.source, target: v.target }));
/** The environment names a config file of the server or the UI server reads with sprig's env function. */
const namesRead = (file: string) => [...readFileSync(file, 'utf8').matchAll(/env "([A-Z_]+)"/g)].map((m) => m[1]);

describe('docker-compose.yml and the cluster profile (make up STACK=cluster) in lockstep', () => {
  it('run the same versions of the server, the admin tools and the UI', () => {
    expect(service('temporal').image).toBe(`temporalio/server:${TEMPORAL_SERVER_VERSION}`);
    expect(service('temporal-schema').image).toBe(`temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`);
    expect(service('temporal-setup').image).toBe(`temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`);
    expect(service('temporal-ui').image).toBe(`temporalio/ui:${TEMPORAL_UI_VERSION}`);
  });

  it('give the server the same environment names, and the cluster config file reads each of them', () => {
    const cluster = serverEnvironment({ host: 'h', port: 1, user: 'u', password: 'p' }, 7233, {});
    expect(envNames('temporal')).toEqual(Object.keys(cluster).filter((name) => name !== 'FRONTEND_GRPC_PORT').sort());
    const read = new Set(namesRead(path.join(TEMPORAL_FILES, 'server', 'cluster.yaml')));
    // DB picks the image's persistence plugin; the cluster file is PostgreSQL only.
    for (const name of Object.keys(cluster).filter((n) => n !== 'DB')) expect({ name, read: read.has(name) }).toEqual({ name, read: true });
  });

  it('give the UI server the same environment names', () => {
    const read = new Set(namesRead(path.join(TEMPORAL_FILES, 'ui', 'cluster.yaml')));
    for (const name of envNames('temporal-ui')) expect({ name, read: read.has(name) }).toEqual({ name, read: true });
  });

  it('load the same dynamic config file', () => {
    const mounted = mounts('temporal').find((m) => m.source === DYNAMIC_CONFIG_FILE);
    expect(mounted).toBeDefined();
    expect(service('temporal').environment?.DYNAMIC_CONFIG_FILE_PATH).toBe(mounted!.target);
  });

  it('set up the schema with the same script', () => {
    const script = path.join(TEMPORAL_FILES, 'setup-schema.sh');
    const mounted = mounts('temporal-schema').find((m) => m.source === script);
    expect(mounted).toBeDefined();
    expect(service('temporal-schema').entrypoint).toEqual(['/bin/sh', mounted!.target]);
    const cluster = schemaEnvironment({ sqlTool: 't', schemaDir: 's' }, { host: 'h', port: 1, user: 'u', password: 'p' });
    expect(envNames('temporal-schema')).toEqual(Object.keys(cluster).sort());
    // Every name the script itself reads is given (the SQL_* ones temporal-sql-tool reads).
    const read = [...readFileSync(script, 'utf8').matchAll(/\$\{?([A-Z_]+)/g)].map((m) => m[1]);
    for (const name of read) expect(Object.keys(cluster)).toContain(name);
  });

  it('register exactly the search attributes of the contract', () => {
    const setup = [service('temporal-setup').command ?? []].flat().join('\n');
    const cliType: Record<string, string> = { KEYWORD: 'Keyword', DATETIME: 'Datetime', INT: 'Int', BOOL: 'Bool' };
    const listed = [...setup.matchAll(/\b([A-Za-z]+)=(Keyword|Datetime|Int|Bool|Text|Double|KeywordList)\b/g)].map((m) => `${m[1]}=${m[2]}`).sort();
    expect(listed).toEqual(allSearchAttributes.map((key) => `${key.name}=${cliType[key.type]}`).sort());
  });
});
