import { OperatorError } from './operator-error';

// An API key goes only to a base URL the operator trusts: Atlassian's own, the worker's ATLASSIAN_API_BASE_URL, and
// the ones listed in ATLASSIAN_API_ALLOWED_BASE_URLS. A sources file or a flag may pick among them, never add one:
// a file arrives by pull request, and a URL in it would receive the key as a bearer token.

export const ATLASSIAN_API_URL = 'https://api.atlassian.com';
export const ALLOWED_BASE_URLS_ENV = 'ATLASSIAN_API_ALLOWED_BASE_URLS';
/** Development only: lets http:// through for loopback hosts (the simulator), never for anything else. */
export const ALLOW_INSECURE_LOOPBACK_HTTP_ENV = 'ALLOW_INSECURE_LOOPBACK_HTTP';

/** What the URL parser gives for loopback hosts: 127.0.0.0/8, ::1 and localhost. */
const LOOPBACK_HOST = /^(127(\.\d{1,3}){3}|\[::1\]|localhost)$/;

/**
 * The one form a base URL is compared and stored in: scheme and host lowercased by the URL parser, default port
 * dropped, no trailing slash. User info, a query or a fragment are refused rather than dropped: in
 * `https://api.atlassian.com@evil.example` the host is evil.example.
 */
export function normalizeApiBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new OperatorError(`API base URL "${text}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OperatorError(`API base URL must be https, got ${url.protocol}`);
  if (url.username || url.password) throw new OperatorError(`API base URL "${url.host}" must not carry user info before its host`);
  if (url.search || url.hash) throw new OperatorError(`API base URL must not carry a query or a fragment`);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** localhost, 127.0.0.0/8 or [::1], as the URL parser writes a host. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOST.test(hostname);
}

export function insecureLoopbackAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[ALLOW_INSECURE_LOOPBACK_HTTP_ENV]?.toLowerCase() === 'true';
}

/** http:// sends the key in clear: refused, except to the loopback simulator when the development setting is on. */
export function insecureUrlProblem(normalized: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const url = new URL(normalized);
  if (url.protocol === 'https:') return null;
  if (LOOPBACK_HOST.test(url.hostname) && insecureLoopbackAllowed(env)) return null;
  return LOOPBACK_HOST.test(url.hostname)
    ? `API base URL ${normalized} is http://: use https, or set ${ALLOW_INSECURE_LOOPBACK_HTTP_ENV}=true for a local simulator`
    : `API base URL ${normalized} is http://, which would send the key in clear: use https`;
}

/** The operator's allowlist, normalized; a bad entry is refused at start by config/environment.ts. */
export function allowedApiBaseUrls(env: NodeJS.ProcessEnv = process.env): string[] {
  const listed = (env[ALLOWED_BASE_URLS_ENV] ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
  const configured = env.ATLASSIAN_API_BASE_URL ? [env.ATLASSIAN_API_BASE_URL] : [];
  return [ATLASSIAN_API_URL, ...configured, ...listed].map(normalizeApiBaseUrl);
}

/** Why a key must not be sent to this base URL, or null when it may. */
export function apiBaseUrlProblem(text: string, env: NodeJS.ProcessEnv = process.env): string | null {
  let normalized: string;
  try {
    normalized = normalizeApiBaseUrl(text);
  } catch (err) {
    return (err as Error).message;
  }
  if (!allowedApiBaseUrls(env).includes(normalized)) {
    return `API base URL ${normalized} is not allow-listed: the operator adds it to ${ALLOWED_BASE_URLS_ENV}`;
  }
  return insecureUrlProblem(normalized, env);
}
