import { isIP } from 'node:net';
import tls from 'node:tls';
import type { TLSConfig } from '@temporalio/client';

/** The settings a TLS finding names, as the operator gave them (a variable or a profile key). */
export interface TlsSettingNames {
  clientCert?: string;
  serverCACert?: string;
  serverName?: string;
}

const PROBE_TIMEOUT_MS = 5000;
/** HTTP/2's connection preface and an empty SETTINGS frame: what a gRPC client sends first, and a server answers. */
const HTTP2_PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);

/** What a handshake of our own found: the server is out of reach, or TLS between us fails for a named reason. */
export type ProbeFinding = { unreachable: string } | { tlsProblem: string } | undefined;

/**
 * Connects as the gRPC library would, with the same TLS settings, and says what is wrong, or undefined when nothing is
 * (or TLS is not the problem). gRPC libraries report a refused handshake as "connection closed" or a deadline; node's
 * TLS names the cause (unknown CA, certificate required, host name).
 */
export async function probeTemporal(address: string, config: TLSConfig | boolean | undefined, names: TlsSettingNames): Promise<ProbeFinding> {
  const { host, port } = splitAddress(address);
  if (!config) {
    const { secured, unreachable } = await handshake({ host, port, rejectUnauthorized: false });
    if (unreachable) return { unreachable };
    return secured ? { tlsProblem: 'the server requires TLS: set TEMPORAL_TLS=true, and the client certificate and key if it asks for one' } : undefined;
  }
  const settings = config === true ? {} : config;
  const servername = settings.serverNameOverride ?? (isIP(host) ? undefined : host);
  const { failure, unreachable } = await handshake({
    host,
    port,
    servername,
    ca: settings.serverRootCACertificate && Buffer.from(settings.serverRootCACertificate),
    cert: settings.clientCertPair && Buffer.from(settings.clientCertPair.crt),
    key: settings.clientCertPair && Buffer.from(settings.clientCertPair.key),
  });
  if (unreachable) return { unreachable };
  return failure && { tlsProblem: explain(failure, servername ?? host, names) };
}

function explain(err: TlsError, serverName: string, names: TlsSettingNames): string {
  const clientCert = names.clientCert ?? 'TEMPORAL_TLS_CLIENT_CERT_PATH';
  switch (err.code) {
    case 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA':
    case 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE':
    case 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN':
      return `the server refused the client certificate (${clientCert}): it is not issued by a CA the server trusts`;
    case 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED':
      return `the server refused the client certificate (${clientCert}): it has expired`;
    case 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED':
    case 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE':
      return names.clientCert
        ? `the server refused the TLS handshake with the client certificate (${clientCert})`
        : 'the server requires a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_UNTRUSTED':
      return names.serverCACert
        ? `the server's certificate is not issued by the CA in ${names.serverCACert}`
        : "the server's certificate is not issued by a CA this machine trusts: set TEMPORAL_TLS_SERVER_CA_CERT_PATH to its CA";
    case 'CERT_HAS_EXPIRED':
      return "the server's certificate has expired";
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `the server's certificate is not valid for ${serverName}${names.serverName ? ` (${names.serverName})` : ': set TEMPORAL_TLS_SERVER_NAME to a name it holds'}`;
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      return 'the server does not speak TLS there: set TEMPORAL_TLS=false, or use its TLS address';
    default:
      return `TLS handshake failed: ${err.reason ?? err.message.split('\n')[0]}`;
  }
}

type TlsError = NodeJS.ErrnoException & { reason?: string };

interface Handshake {
  /** The handshake completed. */
  secured: boolean;
  /** Its TLS error, if any. */
  failure?: TlsError;
  /** A socket error (refused, unknown host) before any TLS: e.g. "connect ECONNREFUSED 127.0.0.1:7233". */
  unreachable?: string;
}

/**
 * A TLS 1.3 server checks the client certificate after our side of the handshake is done, so only its first HTTP/2
 * frame (or its alert) tells whether it took it. A reset after the handshake is no finding: servers do that too.
 */
function handshake(options: tls.ConnectionOptions): Promise<Handshake> {
  return new Promise((resolve) => {
    let secured = false;
    const socket = tls.connect({ ...options, ALPNProtocols: ['h2'] });
    const finish = (failure?: TlsError) => {
      clearTimeout(timer);
      socket.destroy();
      // System call errors (connect, getaddrinfo, read) are the network's; TLS and certificate errors carry none.
      if (failure?.syscall) resolve({ secured, unreachable: secured ? undefined : failure.message });
      else resolve({ secured, failure });
    };
    const timer = setTimeout(() => finish(), PROBE_TIMEOUT_MS);
    socket.once('secureConnect', () => {
      secured = true;
      socket.write(HTTP2_PREFACE);
    });
    socket.once('data', () => finish());
    socket.once('error', (err: TlsError) => finish(err));
    socket.once('close', () => finish());
  });
}

function splitAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(colon + 1)) };
}
