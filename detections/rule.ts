import type { Severity } from '../alerts/alert-store';
import type { CountedField, NoveltyField } from './event-fields';
import type { DetectionEvent } from './event-view';

/** The alert path's severities: a detection's alert carries its rule's. */
export type { Severity };

/** Per-source settings some rules read; every field has a default so a source never needs any. */
export interface DetectionSettings {
  /** E-mail domains invitations may go to (subdomains included). Empty: the inviting admin's own domain. */
  allowedInviteDomains: readonly string[];
  /** Grouping periods this source sets in place of its rules' own, in seconds, by rule id. */
  groupPeriods: Readonly<Record<string, number>>;
}

export const DEFAULT_DETECTION_SETTINGS: DetectionSettings = { allowedInviteDomains: [], groupPeriods: {} };

/** A rule without a grouping period of its own groups per day: one alert a day per subject is what a team triages. */
export const DEFAULT_GROUP_SECONDS = 24 * 3600;

/** The period of rules whose detections stay one case for days: per admin, app, domain or country. */
export const WEEK_SECONDS = 7 * 24 * 3600;

/** How long after a group's first event a detection of the same rule and subject still joins its open alert. */
export function groupPeriodSeconds(rule: Rule, settings: DetectionSettings): number {
  return settings.groupPeriods[rule.id] ?? rule.groupSeconds ?? DEFAULT_GROUP_SECONDS;
}

interface RuleBase {
  /** Stable: stored with every detection and used in dedup keys. */
  id: string;
  title: string;
  severity: Severity;
  description: string;
  /**
   * Action keys the rule can match; `*` stands for any run of characters (`api_token_revok*`). The engine tests
   * these first, so most events are skipped without parsing their raw body.
   */
  actions: readonly string[];
  match(event: DetectionEvent, settings: DetectionSettings): boolean;
  /** A detection of this rule is suppressed when one with the same key lies within this many seconds of event time. */
  dedupSeconds: number;
  /** The alert's title, built from the triggering event. */
  alertTitle(event: DetectionEvent, settings: DetectionSettings): string;
  /**
   * Informational rules resolve their alert by themselves this many seconds after it opened, unless an operator did
   * first; without it, an alert stays open until someone resolves it.
   */
  autoResolveSeconds?: number;
  /**
   * Detections of the rule with the same subject (its dedup key) within this many seconds of the first one join one
   * open alert; DEFAULT_GROUP_SECONDS when absent. A source may override it (DetectionSettings.groupPeriods).
   */
  groupSeconds?: number;
  /**
   * What the rule's alerts group by when it differs from its dedup key (an event rule's `key`, the counted or new
   * value of the others): the admin who acts, say, where dedup is per target.
   */
  subject?(event: DetectionEvent, settings: DetectionSettings): string;
}

/** Fires on each matching event. */
export interface EventRule extends RuleBase {
  kind: 'event';
  /** What deduplication is per (an actor, a target user, an app...). */
  key(event: DetectionEvent, settings: DetectionSettings): string;
}

/**
 * Fires when a matching event brings the number of events with the same `countBy` value, of the rule's actions, in
 * the window that ends at the event's time, to the threshold. Counted in SQL over the stored events, so the count is
 * right across pages, retries and restarts. `match` may only narrow by what the count also sees (action, the field).
 */
export interface ThresholdRule extends RuleBase {
  kind: 'threshold';
  countBy: CountedField;
  threshold: number;
  windowSeconds: number;
}

/**
 * Fires when the matching event's `valueOf` was not seen on any of the source's events in the lookback before it.
 * Silent until the source's history reaches back `learningDays` before the event: without a baseline everything
 * would look new.
 */
export interface NewValueRule extends RuleBase {
  kind: 'new-value';
  valueOf: NoveltyField;
  lookbackDays: number;
  learningDays: number;
}

export type Rule = EventRule | ThresholdRule | NewValueRule;

/** Rules that are enabled together for a source. */
export interface DetectionPack {
  id: string;
  title: string;
  description: string;
  rules: readonly Rule[];
}

/** An event a rule matched, not yet a detection: its window, novelty and dedup period decide. */
export interface Candidate {
  packId: string;
  rule: Rule;
  event: DetectionEvent;
  /** What the rule deduplicates per; for threshold and new-value rules, the value of their field. */
  dedupKey: string;
}
