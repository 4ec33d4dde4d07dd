import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { type ClientConfigProfile, type ClientConfigTLS, type ConfigDataSource, loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';
import type { TLSConfig } from '@temporalio/client';
import { OperatorError } from './operator-error';
import { probeTemporal, type TlsSettingNames } from './temporal-tls-probe';

/**
 * Where and how workers and the CLI reach Temporal: address, namespace, TLS, mTLS client certificate, API key. Read by
 * @temporalio/envconfig with the `temporal` CLI's own rules: a profile of its TOML file (TEMPORAL_CONFIG_FILE, else
 * ~/.config/temporalio/temporal.toml; TEMPORAL_PROFILE, else "default"), overridden by TEMPORAL_* variables.
 * Certificates are read and checked here, before any connect, so that a wrong file fails in one line naming its setting.
 */

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';

type Variables = Record<string, string | undefined>;

export interface TemporalTarget {
  address: string;
  namespace: string;
}

/** What both NativeConnection.connect (workers) and Connection.connect (the CLI) take. */
export interface TemporalConnectOptions {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
  metadata?: Record<string, string>;
}

export function resolveTemporalTarget(variables: Variables = process.env): TemporalTarget {
  const profile = loadProfile(presentOnly(variables));
  return { address: profile.address ?? DEFAULT_TEMPORAL_ADDRESS, namespace: profile.namespace ?? DEFAULT_TEMPORAL_NAMESPACE };
}

/** The options to connect with, and what to say when connecting fails. */
export interface TemporalConnection {
  options: TemporalConnectOptions;
  /**
   * Throws the TLS problem in one line, if there is one. The CLI's gRPC library reports a refused handshake only as a
   * connect deadline, seconds later; a handshake of our own names the cause at once.
   */
  checkTls(): Promise<void>;
  /** One line for a failed connect: the refused API key, the TLS problem, else the cause; never the key itself. */
  describeFailure(err: unknown): Promise<string>;
  /** One line when the server refused the call for its credentials (after connecting too), else undefined. */
  describeRefusal(err: unknown): string | undefined;
}

export function temporalConnection(variables: Variables = process.env): TemporalConnection {
  const env = presentOnly(variables);
  const profile = loadProfile(env);
  const certificates = profile.tls && checkedCertificates(profile.tls, env);
  const tls = profile.tls && { ...profile.tls, clientCert: certificates?.clientCert?.data, clientKey: certificates?.clientKey?.data, serverCACert: certificates?.serverCACert?.data };
  const { connectionOptions } = toClientOptions({ ...profile, tls });
  const options: TemporalConnectOptions = { address: profile.address ?? DEFAULT_TEMPORAL_ADDRESS };
  if (connectionOptions.tls) options.tls = connectionOptions.tls;
  if (connectionOptions.apiKey) options.apiKey = connectionOptions.apiKey as string;
  if (connectionOptions.metadata) options.metadata = connectionOptions.metadata as Record<string, string>;

  const profileKey = (key: string) => `${key} in Temporal profile "${env.TEMPORAL_PROFILE ?? 'default'}"`;
  const addressName = env.TEMPORAL_ADDRESS ? 'TEMPORAL_ADDRESS' : profile.address && profileKey('address');
  const apiKeyName = options.apiKey && (env.TEMPORAL_API_KEY ? 'TEMPORAL_API_KEY' : profileKey('api_key'));
  const tlsNames: TlsSettingNames = {
    clientCert: certificates?.clientCert?.name,
    serverCACert: certificates?.serverCACert?.name,
    serverName: env.TEMPORAL_TLS_SERVER_NAME ? 'TEMPORAL_TLS_SERVER_NAME' : profile.tls?.serverName && profileKey('tls.server_name'),
  };
  const where = `cannot connect to Temporal at ${options.address}`;
  const describeRefusal = (err: unknown) => {
    if (!chainOf(err).some(isRefusedCredential)) return undefined;
    const server = `Temporal at ${options.address}`;
    return apiKeyName ? `${server} refused the API key (${apiKeyName})` : `${server} refused the call without an API key: set TEMPORAL_API_KEY`;
  };

  return {
    options,
    async checkTls() {
      if (!options.tls) return;
      const finding = await probeTemporal(options.address, options.tls, tlsNames);
      if (finding && 'tlsProblem' in finding) throw new OperatorError(`${where}: ${finding.tlsProblem}`);
    },
    describeRefusal,
    async describeFailure(err) {
      const refusal = describeRefusal(err);
      if (refusal) return refusal;
      const finding = await probeTemporal(options.address, options.tls, tlsNames);
      if (finding && 'tlsProblem' in finding) return `${where}: ${finding.tlsProblem}`;
      const cause = finding?.unreachable ?? causesOf(err).at(-1) ?? String(err);
      return `${where}${addressName ? ` (${addressName})` : ''}: ${options.apiKey ? cause.split(options.apiKey).join('***') : cause}`;
    },
  };
}

/** The error and its causes, outermost first (of an AggregateError, its first). */
function chainOf(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = err; current !== undefined && current !== null && chain.length < 5; current = current instanceof Error ? current.cause : undefined) {
    if (current instanceof AggregateError && current.errors.length > 0) current = current.errors[0];
    chain.push(current);
  }
  return chain;
}

/** The first line of each, outermost first: the innermost is what went wrong, the others what was being done. */
function causesOf(err: unknown): string[] {
  return chainOf(err).map(firstLine).filter(Boolean);
}

const PERMISSION_DENIED = 7;
const UNAUTHENTICATED = 16;

/**
 * gRPC's PERMISSION_DENIED or UNAUTHENTICATED: a status code on errors of calls, and in the messages of connect errors
 * as grpc-js (the CLI) and the Rust core (workers) word them.
 */
function isRefusedCredential(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === PERMISSION_DENIED || code === UNAUTHENTICATED) return true;
  return /^(7 PERMISSION_DENIED|16 UNAUTHENTICATED)\b|code: 'The caller does not have permission|code: 'The request does not have valid authentication credentials|code: (PermissionDenied|Unauthenticated)\b/.test(firstLine(err));
}

/** Empty means unset, as for every other setting (config/environment.ts): shells and compose files pass them. */
function presentOnly(variables: Variables): Record<string, string> {
  return Object.fromEntries(Object.entries(variables).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}

function loadProfile(env: Record<string, string>): ClientConfigProfile {
  // envconfig skips a config file that is not there; one named explicitly must be.
  if (env.TEMPORAL_CONFIG_FILE && !existsSync(env.TEMPORAL_CONFIG_FILE)) throw new OperatorError(`TEMPORAL_CONFIG_FILE: no file at ${env.TEMPORAL_CONFIG_FILE}`);
  try {
    return loadClientConfigProfile({ overrideEnvVars: env });
  } catch (err) {
    const file = env.TEMPORAL_CONFIG_FILE ? `${env.TEMPORAL_CONFIG_FILE} (TEMPORAL_CONFIG_FILE)` : '~/.config/temporalio/temporal.toml';
    const line = (err as { line?: unknown }).line;
    const message = `${firstLine(err)}${typeof line === 'number' ? ` (line ${line})` : ''}`;
    if (env.TEMPORAL_PROFILE && /not found/.test(message)) throw new OperatorError(`TEMPORAL_PROFILE: no profile "${env.TEMPORAL_PROFILE}" in ${file}`);
    throw new OperatorError(`cannot use the Temporal client config ${file}: ${message}`);
  }
}

interface CheckedCertificates {
  clientCert?: CheckedFile;
  clientKey?: CheckedFile;
  serverCACert?: CheckedFile;
}

interface CheckedFile {
  /** The setting that named it, for messages. */
  name: string;
  data: ConfigDataSource;
}

/** The three TLS files, each read and parsed, as data: what toClientOptions then takes without reading again. */
function checkedCertificates(tls: ClientConfigTLS, env: Record<string, string>): CheckedCertificates {
  const clientCert = tls.clientCert && readSetting('clientCert', tls.clientCert, env);
  const clientKey = tls.clientKey && readSetting('clientKey', tls.clientKey, env);
  const serverCACert = tls.serverCACert && readSetting('serverCACert', tls.serverCACert, env);
  if (clientCert && !clientKey) throw new OperatorError(`${clientCert.name} is set but not the client certificate's key (TEMPORAL_TLS_CLIENT_KEY_PATH)`);
  if (clientKey && !clientCert) throw new OperatorError(`${clientKey.name} is set but not the client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH)`);
  if (clientCert && clientKey) {
    const certificate = parse(clientCert, (pem) => new X509Certificate(pem), 'a PEM certificate');
    const key = parse(clientKey, (pem): KeyObject => createPrivateKey(pem), 'a PEM private key');
    if (!certificate.checkPrivateKey(key)) throw new OperatorError(`the TLS client key (${clientKey.name}) is not the key of the client certificate (${clientCert.name})`);
  }
  if (serverCACert) parse(serverCACert, (pem) => new X509Certificate(pem), 'a PEM certificate');
  const checked = (file?: ReadSetting) => file && { name: file.name, data: { data: file.pem } };
  return { clientCert: checked(clientCert), clientKey: checked(clientKey), serverCACert: checked(serverCACert) };
}

const TLS_FILES = {
  clientCert: { what: 'the TLS client certificate', variable: 'TEMPORAL_TLS_CLIENT_CERT', tomlKey: 'client_cert' },
  clientKey: { what: 'the TLS client key', variable: 'TEMPORAL_TLS_CLIENT_KEY', tomlKey: 'client_key' },
  serverCACert: { what: 'the server CA certificate', variable: 'TEMPORAL_TLS_SERVER_CA_CERT', tomlKey: 'server_ca_cert' },
} as const;

interface ReadSetting {
  /** The variable or profile key that named it, for messages; never its content, which may be a private key. */
  name: string;
  pem: string;
}

function readSetting(field: keyof typeof TLS_FILES, source: ConfigDataSource, env: Record<string, string>): ReadSetting {
  const { what, variable, tomlKey } = TLS_FILES[field];
  const suffix = 'path' in source ? 'PATH' : 'DATA';
  const fromVariable = env[`${variable}_${suffix}`] !== undefined;
  const key = fromVariable ? `${variable}_${suffix}` : `tls.${tomlKey}_${suffix.toLowerCase()}`;
  const profile = fromVariable ? '' : ` in Temporal profile "${env.TEMPORAL_PROFILE ?? 'default'}"`;
  if (!('path' in source)) return { name: `${key}${profile}`, pem: typeof source.data === 'string' ? source.data : Buffer.from(source.data).toString('utf8') };
  try {
    return { name: `${key}=${source.path}${profile}`, pem: readFileSync(source.path, 'utf8') };
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : firstLine(err);
    throw new OperatorError(`cannot read ${what} ${source.path} (${key}${profile}): ${reason}`);
  }
}

function parse<T>(setting: ReadSetting, parser: (pem: string) => T, expected: string): T {
  try {
    return parser(setting.pem);
  } catch {
    // The parser's own message is an OpenSSL code, and a key's text must never reach a message.
    throw new OperatorError(`${setting.name} is not ${expected}`);
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0].trim();
}

