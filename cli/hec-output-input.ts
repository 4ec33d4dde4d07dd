import { OperatorError } from '../config/operator-error';
import { parseSplunkHecSettings } from '../outputs/splunk-hec-settings';
import { parseSecretVariable } from './secret-variables';

/** The flags of `outputs add --kind splunk_hec`: where the collector is, and its token by reference only. */
export interface HecOutputFlags {
  hecUrl?: string;
  tokenEnv?: string;
  sourcetype?: string;
  index?: string;
  ack?: boolean;
  ackTimeout?: string;
}

/** A Splunk HEC output's settings and token from the flags, each refused in one line that names it. */
export function hecOutputFromFlags(flags: HecOutputFlags, env: NodeJS.ProcessEnv = process.env): { settings: Record<string, unknown>; secrets: Record<string, string>; shown: string } {
  if (flags.hecUrl === undefined) throw new OperatorError('a splunk_hec output needs --hec-url, the collector\'s base URL');
  if (flags.tokenEnv === undefined) throw new OperatorError('a splunk_hec output needs --token-env, the variable that holds its HEC token');
  const ackTimeoutSeconds = flags.ackTimeout === undefined ? undefined : Number(flags.ackTimeout);
  const settings = parseSplunkHecSettings({ url: flags.hecUrl, sourcetype: flags.sourcetype, index: flags.index, ack: flags.ack === true, ackTimeoutSeconds }, env);
  const variable = parseSecretVariable('--token-env', flags.tokenEnv, env);
  const token = env[variable];
  if (!token) throw new OperatorError(`${variable} is not set`);
  return { settings: { ...settings }, secrets: { token }, shown: settings.url };
}
