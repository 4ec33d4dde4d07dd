import { generateKeyPairSync, sign } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An issuer of API keys the way a self-hosted Temporal server checks them: JWTs (ES256) whose public key the server
 * fetches as a JWKS over HTTP (global.authorization.jwtKeyProvider) and whose "permissions" claim its default claim
 * mapper reads.
 */
export interface ApiKeyIssuer {
  jwksUrl: string;
  /** A key with the given permissions, e.g. "temporal-system:admin". */
  issue(permissions: string[]): string;
  close(): Promise<void>;
}

const KEY_ID = 'audit-source-test';

export async function startApiKeyIssuer(): Promise<ApiKeyIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: KEY_ID, alg: 'ES256', use: 'sig' }] });
  const server = http.createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(jwks));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return {
    jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    issue(permissions) {
      const now = Math.floor(Date.now() / 1000);
      const unsigned = `${base64url({ alg: 'ES256', typ: 'JWT', kid: KEY_ID })}.${base64url({ sub: 'audit-worker', permissions, iat: now, exp: now + 3600 })}`;
      const signature = sign('sha256', Buffer.from(unsigned), { key: privateKey, dsaEncoding: 'ieee-p1363' });
      return `${unsigned}.${signature.toString('base64url')}`;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
