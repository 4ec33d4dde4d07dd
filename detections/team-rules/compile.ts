import { ACTOR, SOURCE_IP } from '../event-fields';
import { attribute, entriesOfType, type DetectionEvent } from '../event-view';
import type { DetectionPack, Rule } from '../rule';
import { alertTitleTemplate } from './alert-template';
import type { DeclaredMatch, DeclaredRule, RulesFile } from './format';
import { inNetworks } from './networks';
import { textPatterns } from './patterns';
import { SUBJECTS } from './subjects';

/** A team's file as a pack of the engine's own rule types: the engine runs them as it runs the shipped ones. */
export function compilePack(file: RulesFile): DetectionPack {
  return { id: file.id, title: file.title, description: file.description, rules: file.rules.map(compileRule) };
}

function compileRule(declared: DeclaredRule): Rule {
  const subject = SUBJECTS[declared.subject];
  const base = {
    id: declared.id,
    title: declared.title,
    severity: declared.severity,
    description: declared.description,
    actions: declared.match.actions,
    // One period, as the rules have: one detection per subject per period, and one alert for them.
    dedupSeconds: declared.period,
    groupSeconds: declared.period,
    alertTitle: alertTitleTemplate(declared.alert ?? `${declared.title}: {subject}`, declared.subject),
  };
  if (declared.kind === 'threshold') {
    // The format allows only actions in a threshold rule's match, and only the subjects an events column holds.
    return { ...base, kind: 'threshold', match: () => true, countBy: declared.subject === 'ip' ? SOURCE_IP : ACTOR, threshold: declared.threshold!, windowSeconds: declared.window! };
  }
  return { ...base, kind: 'event', match: compileMatch(declared.match), key: (event) => subject.value(event) ?? '?' };
}

/** The match's clauses beyond its actions (the engine tests those first), all of which must hold. */
function compileMatch(match: DeclaredMatch): (event: DetectionEvent) => boolean {
  const tests: Array<(event: DetectionEvent) => boolean> = [];
  if (match.actor) {
    const { ids, emails, names } = match.actor;
    const idSet = new Set(ids);
    const emailOk = emails ? textPatterns(emails) : () => false;
    const nameOk = names ? textPatterns(names) : () => false;
    tests.push((event) => idSet.has(event.actor.id) || emailOk(event.actor.email) || nameOk(event.actor.name));
  }
  for (const clause of match.context ?? []) {
    const valueOk = clause.values ? textPatterns(clause.values) : undefined;
    tests.push((event) => entriesOfType(event.context, clause.type).some((entry) => !valueOk || valueOk(attribute(entry, clause.attribute!))));
  }
  const { ips, notIps, countries, notCountries } = match.location ?? {};
  if (ips) tests.push(known(inNetworks(ips), (event) => event.ip));
  if (countries) tests.push(known(textPatterns(countries), (event) => event.country));
  // Outside means known to be elsewhere: an event without an address or country is not taken for one from abroad.
  if (notIps) tests.push(outside(inNetworks(notIps), (event) => event.ip));
  if (notCountries) tests.push(outside(textPatterns(notCountries), (event) => event.country));
  return (event) => tests.every((test) => test(event));
}

type Field = (event: DetectionEvent) => string | null;

const known = (isListed: (value: string | null) => boolean, field: Field) => (event: DetectionEvent) => isListed(field(event));

const outside = (isListed: (value: string | null) => boolean, field: Field) => (event: DetectionEvent) => {
  const value = field(event);
  return value !== null && !isListed(value);
};
