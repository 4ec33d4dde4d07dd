import { Random, seedFrom } from './prng';

// The people, groups, sites and apps of one simulated organization, and the shapes in which the API refers to
// them. Addresses and IPs come from reserved documentation ranges (example.com, RFC 5737, RFC 3849).

export interface Person {
  id: string;
  name: string;
  email: string;
}

export interface Named {
  id: string;
  name: string;
}

export interface Population {
  orgId: string;
  orgName: string;
  people: Person[];
  admins: Person[];
  groups: Named[];
  sites: Named[];
  apps: Named[];
  projects: Named[];
  spaces: Named[];
}

type JsonObject = Record<string, unknown>;

const FIRST_NAMES = ['Ada', 'Grace', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Dennis', 'Frances', 'Alan', 'Radia',
  'Edsger', 'Hedy', 'Tim', 'Katherine', 'Donald', 'Sophie', 'Niklaus', 'Joan', 'Guido', 'Shafi'];
const LAST_NAMES = ['Lovelace', 'Hopper', 'Torvalds', 'Hamilton', 'Thompson', 'Liskov', 'Ritchie', 'Allen', 'Turing',
  'Perlman', 'Dijkstra', 'Lamarr', 'Berners-Lee', 'Johnson', 'Knuth', 'Wilson', 'Wirth', 'Clarke', 'Rossum', 'Goldwasser'];
const GROUP_NAMES = ['jira-software-users', 'confluence-users', 'site-admins', 'engineering', 'finance', 'contractors',
  'security-team', 'bitbucket-users'];
const APP_NAMES = ['Tempo Timesheets', 'ScriptRunner for Jira', 'draw.io Diagrams', 'Zephyr Scale', 'Gliffy'];

/** Account ids appear in several forms: `557058:<uuid>`, 24 hex digits, and `712020:<uuid>`. */
function accountId(rng: Random): string {
  const form = rng.next();
  if (form < 0.5) return `557058:${rng.uuid()}`;
  if (form < 0.85) return rng.hex(24);
  return `712020:${rng.uuid()}`;
}

export function createPopulation(seed: number, orgId: string, orgName: string): Population {
  const rng = new Random(seedFrom(seed, 'population', orgId));
  const domain = `${orgName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'org'}.example.com`;
  const people: Person[] = [];
  for (let i = 0; i < 40; i++) {
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    people.push({
      id: accountId(rng),
      name: `${first} ${last}`,
      email: `${first}.${last}${i}@${domain}`.toLowerCase(),
    });
  }
  const named = (prefix: string, names: readonly string[]): Named[] => names.map((name) => ({ id: rng.uuid(), name: `${prefix}${name}` }));
  return {
    orgId,
    orgName,
    people,
    admins: people.slice(0, 3),
    groups: named('', GROUP_NAMES),
    sites: named('', [`${domain.split('.')[0]}.atlassian.net`, `${domain.split('.')[0]}-sandbox.atlassian.net`]),
    apps: named('', APP_NAMES),
    projects: named('', ['PLAT', 'WEB', 'OPS', 'SEC']),
    spaces: named('', ['ENG', 'HR', 'PRODUCT']),
  };
}

export function userActor(rng: Random, person: Person): JsonObject {
  const actor: JsonObject = { id: person.id, name: person.name };
  // Some user actors come without an e-mail, or with an empty one.
  const emailForm = rng.next();
  if (emailForm < 0.85) actor.email = person.email;
  else if (emailForm < 0.93) actor.email = '';
  actor.links = { self: `https://api.atlassian.com/users/${encodeURIComponent(person.id)}/manage/profile` };
  if (rng.chance(0.3)) (actor.links as JsonObject).alt = `https://admin.atlassian.com/users/${encodeURIComponent(person.id)}`;
  return actor;
}

/** Products acting on their own behalf: the "email" is a label, not an address. */
export function systemActor(rng: Random): JsonObject {
  const product = rng.pick(['confluence', 'jira', 'bitbucket', 'jira-servicedesk']);
  return rng.chance(0.7) ? { id: product, email: 'Atlassian app' } : { id: product, name: 'Atlassian app', email: 'Atlassian app' };
}

export function userEntry(person: Person, type = 'users'): JsonObject {
  return {
    id: person.id,
    type,
    attributes: { name: person.name, email: person.email },
    links: { alt: `https://admin.atlassian.com/users/${encodeURIComponent(person.id)}` },
  };
}

export function namedEntry(item: Named, type: string, extra: JsonObject = {}): JsonObject {
  return { id: item.id, type, attributes: { name: item.name, ...extra } };
}

export function orgEntry(pop: Population, type: 'orgs' | 'organization' = 'orgs'): JsonObject {
  return { id: pop.orgId, type, attributes: { name: pop.orgName }, links: { alt: `https://admin.atlassian.com/o/${pop.orgId}/overview` } };
}

export function siteEntry(rng: Random, pop: Population): JsonObject {
  const site = rng.pick(pop.sites);
  return { id: site.id, type: 'sites', attributes: { siteName: site.name }, links: { alt: `https://${site.name}` } };
}

const PLACES = [
  { city: 'Sydney', regionName: 'New South Wales', countryName: 'Australia' },
  { city: 'Amsterdam', regionName: 'North Holland', countryName: 'Netherlands' },
  { city: 'Austin', regionName: 'Texas', countryName: 'United States' },
  { city: 'Bengaluru', regionName: 'Karnataka', countryName: 'India' },
  { city: 'Gdansk', regionName: 'Pomerania', countryName: 'Poland' },
  { city: 'Sao Paulo', regionName: 'Sao Paulo', countryName: 'Brazil' },
];

function documentationIp(rng: Random): string {
  const form = rng.next();
  if (form < 0.4) return `203.0.113.${rng.int(1, 254)}`;
  if (form < 0.7) return `198.51.100.${rng.int(1, 254)}`;
  if (form < 0.9) return `192.0.2.${rng.int(1, 254)}`;
  return `2001:db8:${rng.hex(4)}::${rng.hex(4)}`;
}

/** Full, geo-only, empty-string, IP-only, or no location at all, in roughly the mix seen in real logs. */
export function location(rng: Random): JsonObject | undefined {
  const place = rng.pick(PLACES);
  const form = rng.next();
  if (form < 0.6) {
    return { ip: documentationIp(rng), geo: `${place.city}, ${place.regionName}, ${place.countryName}`, ...place };
  }
  if (form < 0.72) return { geo: place.countryName };
  if (form < 0.8) return { ip: documentationIp(rng), geo: '', countryName: '', regionName: '', city: '' };
  if (form < 0.88) return { ip: documentationIp(rng) };
  return undefined;
}
