import { parseWebhookUrl } from '../alerts/destinations';
import { createHttpSink } from './http-sink';
import { createS3Sink } from './s3-sink';
import { parseS3Secrets, parseS3Settings } from './s3-settings';
import { DestinationRefused, type Sink } from './sink';
import { SplunkHecSink } from './splunk-hec-sink';
import { parseSplunkHecSettings } from './splunk-hec-settings';

/** What the factory needs of an output: its kind, its non-secret settings and its opened secrets. */
export interface SinkSpec {
  kind: 'http' | 's3' | 'splunk_hec';
  settings: Record<string, unknown>;
  secrets: Record<string, string>;
}

/** The sink of an output's kind. A kind this build cannot send to is a refusal: the output pauses and says why. */
export function createSink(spec: SinkSpec): Sink {
  switch (spec.kind) {
    case 'http': {
      if (!spec.secrets.url) throw new DestinationRefused('the output has no URL stored');
      return createHttpSink({ url: parseWebhookUrl(spec.secrets.url), signingSecret: spec.secrets.signingSecret, gzip: spec.settings.gzip === true });
    }
    case 's3':
      return createS3Sink({ settings: parseS3Settings(spec.settings), secrets: parseS3Secrets(spec.secrets) });
    case 'splunk_hec': {
      if (!spec.secrets.token) throw new DestinationRefused('the output has no HEC token stored');
      return new SplunkHecSink({ settings: storedHecSettings(spec.settings), token: spec.secrets.token });
    }
  }
}

/** Stored settings were checked when they were given; if they no longer parse (an edited row), the output stops. */
function storedHecSettings(settings: Record<string, unknown>) {
  try {
    return parseSplunkHecSettings(Object.fromEntries(Object.entries(settings).filter(([key]) => key !== 'shownUrl')));
  } catch (err) {
    throw new DestinationRefused((err as Error).message);
  }
}
