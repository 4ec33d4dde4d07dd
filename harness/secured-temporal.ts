import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { DYNAMIC_CONFIG_FILE } from '../scripts/stack/cluster-temporal';
import { freePort, ManagedProcess, tailOfFile, waitUntil } from '../scripts/stack/processes';
import { ensureSearchAttributes } from '../scripts/stack/search-attributes';
import { resolveTemporalServer } from '../scripts/stack/temporal-binaries';
import { temporalConnection } from '../config/temporal-connection';
import type { ApiKeyIssuer } from './api-keys';
import type { TestPki } from './certificates';

export interface SecuredTemporal {
  address: string;
  namespace: string;
  /**
   * TEMPORAL_* variables that connect with the PKI's trusted client certificate and an admin API key, checking the
   * server's certificate for the host name it holds, as clients of a real deployment do.
   */
  clientEnvironment: Record<string, string>;
  stop(): Promise<void>;
}

const NAMESPACE = 'secured';

/**
 * The real Temporal server (the cluster profile's build) secured as a production one is: its frontend presents the
 * PKI's server certificate and refuses clients without a certificate of the PKI's CA (mTLS), and every call needs an
 * API key of the issuer (JWT authorization). Persistence is SQLite in memory: the test is about the front door, and
 * the server needs no other process.
 */
export async function startSecuredTemporal(dir: string, pki: TestPki, apiKeys: ApiKeyIssuer): Promise<SecuredTemporal> {
  const { server: serverBinary } = await resolveTemporalServer((line) => process.stderr.write(`${line}\n`));
  const configDir = path.join(dir, 'config');
  mkdirSync(configDir, { recursive: true });
  const ports = Object.fromEntries(await Promise.all(PORT_NAMES.map(async (name) => [name, await freePort()] as const))) as Record<PortName, number>;
  writeFileSync(path.join(configDir, 'secured.yaml'), serverConfig(pki, apiKeys.jwksUrl, ports));
  const logFile = path.join(dir, 'temporal-server.log');
  const server = new ManagedProcess('temporal-server', serverBinary, ['--root', '/', '--config', configDir, '--env', 'secured', 'start', ...SERVICES.flatMap((service) => ['--service', service])], logFile, { cwd: dir });
  const address = `127.0.0.1:${ports.frontendGrpc}`;
  const clientEnvironment = {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: NAMESPACE,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.ca.cert,
    TEMPORAL_TLS_CLIENT_CERT_PATH: pki.client.cert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: pki.client.key,
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
    TEMPORAL_API_KEY: apiKeys.issue(['temporal-system:admin']),
  };
  try {
    const connection = await connectWhenUp(clientEnvironment, server, logFile);
    try {
      await connection.workflowService.registerNamespace({ namespace: NAMESPACE, workflowExecutionRetentionPeriod: msToTs(24 * 3_600_000) });
      // A new namespace reaches the frontend's cache within its refresh interval.
      await waitUntil(() => ensureSearchAttributes(connection, NAMESPACE).then(() => true), {
        timeoutMs: 30_000,
        failure: () => `namespace ${NAMESPACE} did not become usable`,
      });
    } finally {
      await connection.close();
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
  return { address, namespace: NAMESPACE, clientEnvironment, stop: () => server.stop() };
}

async function connectWhenUp(clientEnvironment: Record<string, string>, server: ManagedProcess, logFile: string): Promise<Connection> {
  let connection: Connection | undefined;
  await waitUntil(
    async () => {
      connection ??= await Connection.connect({ ...temporalConnection(clientEnvironment).options, connectTimeout: 1000 });
      await connection.workflowService.getSystemInfo({});
      return true;
    },
    {
      timeoutMs: 60_000,
      intervalMs: 300,
      failure: () => `the secured Temporal server did not answer within 60 s:\n${tailOfFile(logFile)}`,
      abort: () => (server.running ? undefined : `the secured Temporal server exited:\n${tailOfFile(logFile)}`),
    },
  );
  return connection!;
}

/** The internal frontend serves the server's own system workers, which hold no API key, past the authorizer. */
const SERVICES = ['frontend', 'internal-frontend', 'history', 'matching', 'worker'];
const PORT_NAMES = [
  'frontendGrpc', 'frontendMembership', 'frontendHttp', 'internalFrontendGrpc', 'internalFrontendMembership', 'internalFrontendHttp',
  'historyGrpc', 'historyMembership', 'matchingGrpc', 'matchingMembership', 'workerGrpc', 'workerMembership',
] as const;
type PortName = (typeof PORT_NAMES)[number];

function serverConfig(pki: TestPki, jwksUrl: string, ports: Record<PortName, number>): string {
  const sqlite = `
      sql:
        pluginName: "sqlite"
        databaseName: "secured"
        connectAddr: "localhost"
        connectProtocol: "tcp"
        connectAttributes: { mode: "memory", cache: "private" }
        maxConns: 1
        maxIdleConns: 1
        maxConnLifetime: "1h"`;
  const service = (grpc: number, membership: number, http?: number) => `
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnIP: "127.0.0.1"${http ? `\n      httpPort: ${http}` : ''}`;
  return `log:
  stdout: true
  level: warn
persistence:
  defaultStore: sqlite-default
  visibilityStore: sqlite-visibility
  numHistoryShards: 1
  datastores:
    sqlite-default:${sqlite}
    sqlite-visibility:${sqlite}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  tls:
    frontend:
      server:
        certFile: ${JSON.stringify(pki.server.cert)}
        keyFile: ${JSON.stringify(pki.server.key)}
        clientCaFiles: [${JSON.stringify(pki.ca.cert)}]
        requireClientAuth: true
      client:
        serverName: "localhost"
        rootCaFiles: [${JSON.stringify(pki.ca.cert)}]
    systemWorker:
      certFile: ${JSON.stringify(pki.client.cert)}
      keyFile: ${JSON.stringify(pki.client.key)}
      client:
        serverName: "localhost"
        rootCaFiles: [${JSON.stringify(pki.ca.cert)}]
  authorization:
    jwtKeyProvider:
      keySourceURIs: [${JSON.stringify(jwksUrl)}]
      refreshInterval: 1m
    permissionsClaimName: permissions
    authorizer: default
    claimMapper: default
services:
  frontend:${service(ports.frontendGrpc, ports.frontendMembership, ports.frontendHttp)}
  internal-frontend:${service(ports.internalFrontendGrpc, ports.internalFrontendMembership, ports.internalFrontendHttp)}
  history:${service(ports.historyGrpc, ports.historyMembership)}
  matching:${service(ports.matchingGrpc, ports.matchingMembership)}
  worker:${service(ports.workerGrpc, ports.workerMembership)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:${ports.frontendGrpc}"
dcRedirectionPolicy:
  policy: "noop"
dynamicConfigClient:
  filepath: ${JSON.stringify(DYNAMIC_CONFIG_FILE)}
  pollInterval: "10s"
`;
}
