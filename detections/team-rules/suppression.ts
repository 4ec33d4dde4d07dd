import { attribute, entriesOfType, type DetectionEvent } from '../event-view';
import type { DetectionPack, Rule } from '../rule';
import type { Suppression } from './format';
import { inNetworks } from './networks';

/**
 * The packs with each allowlisted rule narrowed: an event of an allowlisted actor, address or app is not a detection
 * of that rule. It stays stored like every event, so a rescan after the allowlist changes can still find it.
 *
 * A threshold rule's count is made over stored events in SQL and still includes allowlisted events: the allowlist
 * keeps them from being the event a detection is raised on, which, for a rule counted by IP with that IP
 * allowlisted, is every one of them.
 */
export function withSuppressions(packs: readonly DetectionPack[], suppressions: readonly Suppression[]): DetectionPack[] {
  if (suppressions.length === 0) return [...packs];
  const byRule = new Map<string, Array<(event: DetectionEvent) => boolean>>();
  for (const suppression of suppressions) byRule.set(suppression.rule, [...(byRule.get(suppression.rule) ?? []), allowlisted(suppression)]);
  const narrowed = (rule: Rule): Rule => {
    const allowlists = byRule.get(rule.id);
    if (!allowlists) return rule;
    const { match } = rule;
    return { ...rule, match: (event, settings) => match(event, settings) && !allowlists.some((isAllowed) => isAllowed(event)) };
  };
  return packs.map((pack) => ({ ...pack, rules: pack.rules.map(narrowed) }));
}

function allowlisted({ actors = [], ips = [], apps = [] }: Suppression): (event: DetectionEvent) => boolean {
  const actorSet = new Set(actors.map((actor) => actor.toLowerCase()));
  const appSet = new Set(apps.map((app) => app.toLowerCase()));
  const inAllowedNetwork = inNetworks(ips);
  const known = (set: Set<string>, value: string | null) => value !== null && set.has(value.toLowerCase());
  return (event) =>
    known(actorSet, event.actor.id) ||
    known(actorSet, event.actor.email) ||
    inAllowedNetwork(event.ip) ||
    entriesOfType(event.context, 'apps').some((app) => known(appSet, app.id) || known(appSet, attribute(app, 'name')));
}
