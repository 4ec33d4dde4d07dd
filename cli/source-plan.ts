import { openDestinationUrl, parseWebhookUrl, WebhookUrlError, type StoredDestination } from '../alerts/destinations';
import { normalizeApiBaseUrl } from '../config/api-base-urls';
import { formatDuration } from '../contract/durations';
import { OperatorError } from '../config/operator-error';
import { apiKeyContext, webhookSecretContext, type CredentialCipher } from '../store/credentials';
import type { SourceRetention } from '../store/retention';
import type { SourceRecord } from '../store/sources';
import { describeRef, readSecret, type DeclaredSource, type DeclaredWebhook } from './source-file';

/** What is stored now, read in a few statements whatever the number of sources. */
export interface CurrentState {
  sources: SourceRecord[];
  packsBySource: Map<string, string[]>;
  /** Each source's grouping periods, by source id; a source without any is absent. */
  groupPeriodsBySource: Map<string, Readonly<Record<string, number>>>;
  destinations: StoredDestination[];
  /** Each source's retention and open legal hold, by source id. */
  retentionBySource: Map<string, SourceRetention>;
  /** Names of the sources whose workflow runs. */
  runningWorkflows: Set<string>;
}

export interface WebhookChange {
  format: DeclaredWebhook['format'];
  /** null removes the source's webhook of this format. The URL and the signing secret are read, not yet sealed. */
  declared: (Omit<DeclaredWebhook, 'url'> & { url: string; secret: string | null }) | null;
}

export interface SourceUpdate {
  current: SourceRecord;
  declared: DeclaredSource;
  pollIntervalSeconds?: number;
  silence?: { enabled?: boolean; windowSeconds?: number };
  /** A different key than the stored one, or the key given again for a new base URL: checked live there, then stored. */
  apiKey?: string;
  apiKeyExpiresAt?: Date | null;
  apiBaseUrl?: string;
  packsToEnable: string[];
  packsToDisable: string[];
  /** The file's grouping periods, when they differ from the stored ones. */
  groupPeriods?: Record<string, number>;
  webhooks: WebhookChange[];
  /** The file's retention (null: the default), when it differs from the stored one. */
  retentionDays?: number | null;
  /** A hold to place, or false to lift the open one. */
  legalHold?: { reason: string } | false;
  startWorkflow: boolean;
  /** One phrase per change, for the operator. */
  described: string[];
}

export interface SourcePlan {
  creates: Array<{ declared: DeclaredSource; apiKey: string; webhooks: WebhookChange[] }>;
  updates: SourceUpdate[];
  /** Live sources the file does not declare: removed only with --prune. */
  absent: SourceRecord[];
  unchanged: number;
  notes: string[];
}

/**
 * Compares a checked file with what is stored and decides what to create, update and remove. Pure apart from
 * reading the secrets the file points to; a problem (a key nowhere to be found, an organization changed under a
 * name) stops it before anything is applied.
 */
export function planSources(file: string, declared: readonly DeclaredSource[], state: CurrentState, cipher: CredentialCipher): SourcePlan {
  const byName = new Map(state.sources.map((source) => [source.name, source]));
  const plan: SourcePlan = { creates: [], updates: [], absent: [], unchanged: 0, notes: [] };
  const fail = (source: DeclaredSource, field: string, message: string): never => {
    throw new OperatorError(`${file}: sources[${source.index}] (${source.name}): ${field}: ${message}`);
  };

  for (const source of declared) {
    const current = byName.get(source.name);
    if (!current) {
      const apiKey = readSecret(source.apiKey) ?? fail(source, 'apiKey', `${describeRef(source.apiKey)} is not set or empty`);
      plan.creates.push({ declared: source, apiKey, webhooks: source.webhooks.map((hook) => ({ format: hook.format, declared: withSecret(source, hook, null) })) });
      continue;
    }
    if (current.status === 'removed') fail(source, 'name', 'a removed source keeps this name: `remove --purge` it first');
    if (current.organizationId !== source.organizationId) fail(source, 'orgId', `the source polls organization ${current.organizationId}; a source cannot move: add a new one`);
    const update = diff(source, current);
    if (update.described.length > 0) plan.updates.push(update);
    else plan.unchanged++;
  }

  const declaredNames = new Set(declared.map((source) => source.name));
  plan.absent = state.sources.filter((source) => source.status !== 'removed' && !declaredNames.has(source.name));
  return plan;

  function sameBaseUrl(stored: string, declared: string): boolean {
    try {
      return normalizeApiBaseUrl(stored) === declared;
    } catch {
      return false;
    }
  }

  function withSecret(source: DeclaredSource, hook: DeclaredWebhook, stored: StoredDestination | null): NonNullable<WebhookChange['declared']> {
    const url = readUrl(source, hook, stored);
    if (!hook.signingSecret) return { ...hook, url, secret: null };
    const secret = readSecret(hook.signingSecret);
    if (secret !== undefined) return { ...hook, url, secret };
    // An unchanged, signed destination keeps its stored secret when the file's is not at hand (as after `export`).
    if (stored?.sealedSigningSecret && openDestinationUrl(cipher, stored) === url) {
      return { ...hook, url, secret: cipher.open(stored.sealedSigningSecret, webhookSecretContext(url)) };
    }
    return fail(source, `webhooks (${hook.format}).signingSecret`, `${describeRef(hook.signingSecret)} is not set or empty`);
  }

  /** The declared URL, normalized as stored ones are; a destination keeps its stored URL when the file's is not at hand. */
  function readUrl(source: DeclaredSource, hook: DeclaredWebhook, stored: StoredDestination | null): string {
    const field = `webhooks (${hook.format}).url`;
    const text = readSecret(hook.url);
    if (text === undefined) return stored ? openDestinationUrl(cipher, stored) : fail(source, field, `${describeRef(hook.url)} is not set or empty`);
    try {
      return parseWebhookUrl(text);
    } catch (err) {
      if (err instanceof WebhookUrlError) return fail(source, field, `${describeRef(hook.url)}: ${err.message}`);
      throw err;
    }
  }

  function diff(source: DeclaredSource, current: SourceRecord): SourceUpdate {
    const update: SourceUpdate = { current, declared: source, packsToEnable: [], packsToDisable: [], webhooks: [], startWorkflow: false, described: [] };
    const said = (text: string) => update.described.push(text);
    if (!state.runningWorkflows.has(current.name)) {
      update.startWorkflow = true;
      said('start its workflow');
    }
    if (current.pollIntervalSeconds !== source.pollIntervalSeconds) {
      update.pollIntervalSeconds = source.pollIntervalSeconds;
      said(`interval ${current.pollIntervalSeconds} s -> ${source.pollIntervalSeconds} s`);
    }
    if (current.silenceWindowSeconds !== source.silenceWindowSeconds || current.silenceAlertEnabled !== source.silenceAlertEnabled) {
      update.silence = {};
      if (current.silenceWindowSeconds !== source.silenceWindowSeconds) {
        update.silence.windowSeconds = source.silenceWindowSeconds;
        said(`silence window ${formatDuration(current.silenceWindowSeconds)} -> ${formatDuration(source.silenceWindowSeconds)}`);
      }
      if (current.silenceAlertEnabled !== source.silenceAlertEnabled) {
        update.silence.enabled = source.silenceAlertEnabled;
        said(`silence alert ${source.silenceAlertEnabled ? 'on' : 'off'}`);
      }
    }
    const apiKey = readSecret(source.apiKey);
    if (!sameBaseUrl(current.apiBaseUrl, source.apiBaseUrl)) {
      // The stored key must not follow a URL that nobody proved it belongs to: the key is given again and checked there.
      if (apiKey === undefined) fail(source, 'apiKey', `changing apiBaseUrl needs the key again, checked live at the new URL: ${describeRef(source.apiKey)} is not set or empty`);
      update.apiBaseUrl = source.apiBaseUrl;
      update.apiKey = apiKey;
      said(`API base URL -> ${source.apiBaseUrl}`);
    }
    if (apiKey === undefined) plan.notes.push(`${source.name}: ${describeRef(source.apiKey)} is not set; the stored key stays`);
    else if (apiKey !== cipher.open(current.apiKeyCiphertext, apiKeyContext(current.id))) {
      update.apiKey = apiKey;
      said('key rotated');
    }
    if ((current.apiKeyExpiresAt?.getTime() ?? null) !== (source.apiKeyExpiresAt?.getTime() ?? null)) {
      update.apiKeyExpiresAt = source.apiKeyExpiresAt;
      said(`key expiry -> ${source.apiKeyExpiresAt?.toISOString().slice(0, 10) ?? 'none'}`);
    }
    const packs = state.packsBySource.get(current.id) ?? [];
    update.packsToEnable = source.detectionPacks.filter((pack) => !packs.includes(pack));
    update.packsToDisable = packs.filter((pack) => !source.detectionPacks.includes(pack));
    for (const pack of update.packsToEnable) said(`pack +${pack}`);
    for (const pack of update.packsToDisable) said(`pack -${pack}`);
    if (describePeriods(state.groupPeriodsBySource.get(current.id) ?? {}) !== describePeriods(source.detectionGroupPeriods)) {
      update.groupPeriods = source.detectionGroupPeriods;
      said(`grouping periods -> ${describePeriods(source.detectionGroupPeriods) || "the rules' own"}`);
    }

    const retention = state.retentionBySource.get(current.id);
    const days = (value: number | null | undefined) => (value == null ? 'the default' : `${value} days`);
    if ((retention?.retentionDays ?? null) !== source.retentionDays) {
      update.retentionDays = source.retentionDays;
      said(`retention ${days(retention?.retentionDays)} -> ${days(source.retentionDays)}`);
    }
    const held = retention?.hold != null;
    if (source.legalHold && !held) {
      update.legalHold = source.legalHold;
      said('legal hold placed');
    } else if (source.legalHold === false && held) {
      update.legalHold = false;
      said('legal hold lifted');
    }

    const stored = state.destinations.filter((destination) => destination.sourceId === current.id);
    for (const format of ['webhook', 'slack'] as const) {
      const hook = source.webhooks.find((candidate) => candidate.format === format);
      const was = stored.find((destination) => destination.format === format) ?? null;
      if (!hook) {
        if (was) {
          update.webhooks.push({ format, declared: null });
          said(`${format} removed`);
        }
        continue;
      }
      const wanted = withSecret(source, hook, was);
      const storedUrl = was && openDestinationUrl(cipher, was);
      const storedSecret = was?.sealedSigningSecret ? cipher.open(was.sealedSigningSecret, webhookSecretContext(storedUrl!)) : null;
      const same =
        was !== null &&
        storedUrl === wanted.url &&
        was.minSeverity === hook.minSeverity &&
        JSON.stringify(was.kinds && [...was.kinds].sort()) === JSON.stringify(hook.kinds) &&
        storedSecret === wanted.secret;
      if (!same) {
        update.webhooks.push({ format, declared: wanted });
        said(`${format} ${was ? 'changed' : 'added'}`);
      }
    }
    return update;
  }
}

/** `rule=6h, rule=2d` in rule order: equal texts, equal periods. */
export function describePeriods(periods: Readonly<Record<string, number>>): string {
  return Object.keys(periods)
    .sort()
    .map((ruleId) => `${ruleId}=${formatDuration(periods[ruleId])}`)
    .join(', ');
}
