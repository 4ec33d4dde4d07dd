import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** PEM files on disk, as a server config and TEMPORAL_TLS_* variables name them. */
export interface CertificateFiles {
  cert: string;
  key: string;
}

/**
 * A throwaway PKI made with the openssl command line (node's crypto reads X.509 but cannot issue it): a CA, a server
 * certificate for 127.0.0.1 and localhost, a client certificate; and a second CA with a client certificate of its own,
 * which the server must refuse.
 */
export interface TestPki {
  ca: CertificateFiles;
  server: CertificateFiles;
  client: CertificateFiles;
  strangerCa: CertificateFiles;
  strangerClient: CertificateFiles;
}

export function createTestPki(dir: string): TestPki {
  mkdirSync(dir, { recursive: true });
  const ca = selfSignedCa(dir, 'ca', 'audit-source test CA');
  const strangerCa = selfSignedCa(dir, 'stranger-ca', 'some other CA');
  return {
    ca,
    strangerCa,
    server: issue(dir, 'server', ca, 'temporal-frontend', ['subjectAltName=DNS:localhost,IP:127.0.0.1', 'extendedKeyUsage=serverAuth']),
    client: issue(dir, 'client', ca, 'audit-worker', ['extendedKeyUsage=clientAuth']),
    strangerClient: issue(dir, 'stranger-client', strangerCa, 'audit-worker', ['extendedKeyUsage=clientAuth']),
  };
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function newKey(file: string): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
}

function selfSignedCa(dir: string, name: string, subject: string): CertificateFiles {
  const files = { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}-key.pem`) };
  newKey(files.key);
  openssl(['req', '-x509', '-new', '-key', files.key, '-subj', `/CN=${subject}`, '-days', '2', '-out', files.cert,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return files;
}

function issue(dir: string, name: string, ca: CertificateFiles, subject: string, extensions: string[]): CertificateFiles {
  const files = { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}-key.pem`) };
  const request = path.join(dir, `${name}.csr`);
  const extensionFile = path.join(dir, `${name}.ext`);
  newKey(files.key);
  openssl(['req', '-new', '-key', files.key, '-subj', `/CN=${subject}`, '-out', request]);
  writeFileSync(extensionFile, [...extensions, 'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment'].join('\n'));
  openssl(['x509', '-req', '-in', request, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '2', '-extfile', extensionFile, '-out', files.cert]);
  return files;
}
