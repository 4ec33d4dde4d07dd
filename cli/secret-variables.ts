import { OperatorError } from '../config/operator-error';

// Which environment variables a sources file or a --*-env flag may name. A file arrives by pull request: naming
// CREDENTIALS_KEY as a source's key would send it, as a bearer token, wherever the file points.

/** Variables with this prefix hold secrets meant for sources: `apiKey: { env: AUDIT_SECRET_ACME_API_KEY }`. */
export const SECRET_VARIABLE_PREFIX = 'AUDIT_SECRET_';
/** The operator's own list of further names, comma-separated. */
export const SOURCES_ENV_ALLOWED = 'SOURCES_ENV_ALLOWED';
/** The product's own secrets and connections: never a source's, even when listed or prefixed. */
const NEVER_NAMED = /^(CREDENTIALS_|DATABASE_URL$|ALERT_|TEMPORAL_)/i;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why a file or a flag may not name this variable, or null when it may. */
export function secretVariableProblem(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (!VARIABLE_NAME.test(name)) return `"${name}" is not an environment variable name`;
  if (NEVER_NAMED.test(name)) return `${name} is one of the product's own settings and never a source's secret`;
  const listed = (env[SOURCES_ENV_ALLOWED] ?? '').split(',').map((entry) => entry.trim());
  if (name.startsWith(SECRET_VARIABLE_PREFIX) || listed.includes(name)) return null;
  return `${name} is not allowed: name variables ${SECRET_VARIABLE_PREFIX}*, or list it in ${SOURCES_ENV_ALLOWED}`;
}

/** A flag's variable name (`--api-key-env NAME`), refused in one line that names the flag. */
export function parseSecretVariable(flag: string, name: string, env: NodeJS.ProcessEnv = process.env): string {
  const problem = secretVariableProblem(name, env);
  if (problem) throw new OperatorError(`${flag}: ${problem}`);
  return name;
}

/** AUDIT_SECRET_ACME_PROD_API_KEY for source acme-prod: the name `export` writes, which `apply` accepts. */
export function secretVariableFor(sourceName: string, what: 'API_KEY' | 'WEBHOOK_SECRET' | 'WEBHOOK_URL' | 'SLACK_WEBHOOK_URL'): string {
  return `${SECRET_VARIABLE_PREFIX}${sourceName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_${what}`;
}

/** AUDIT_SECRET_OUTPUT_SIEM_URL for the url of output siem: its own prefix, so that no source's variable is also an output's. */
export function outputSecretVariableFor(outputName: string, secret: string): string {
  const upper = (text: string) => text.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase().replace(/[^A-Z0-9]/g, '_');
  return `${SECRET_VARIABLE_PREFIX}OUTPUT_${upper(outputName)}_${upper(secret)}`;
}
