import { z } from 'zod';
import { SEVERITIES } from '../../alerts/alert-store';
import { isNetwork } from '../../config/outbound-guard';
import { parseDurationSeconds } from '../../contract/durations';
import { TEMPLATE_FIELDS, unknownTemplateField } from './alert-template';
import { COUNTED_SUBJECTS, SUBJECT_NAMES } from './subjects';

// The declarative form of a team's rules: one YAML file per pack (docs/detections.md). What it declares
// compiles into the engine's own rule types (compile.ts), so the engine cannot tell a team's rule from a shipped one.

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const id = z.string().regex(ID, 'must be lower-case letters, digits and dashes, at most 63');
const text = z.string().trim().min(1, 'must not be empty');
const texts = z.array(text).min(1, 'must list at least one');
const network = z.string().refine(isNetwork, { error: (issue) => `"${String(issue.input)}" is not a network such as 10.1.2.0/24 or 2001:db8::/32` });
const networks = z.array(network).min(1, 'must list at least one');
const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const seconds = parseDurationSeconds(String(value));
  if (!seconds) ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration such as 90m, 24h or 2d` });
  return seconds ?? 0;
});

/** Every clause given must hold; within a list, any entry may. */
const matchSchema = z.strictObject({
  /** Action keys; `*` stands for any run of characters. */
  actions: z.array(z.string().regex(/^[A-Za-z0-9_.:*-]+$/, 'must be an action key such as api_token_created, with * as a wildcard')).min(1, 'must list at least one'),
  actor: z
    .strictObject({ ids: texts.optional(), emails: texts.optional(), names: texts.optional() })
    .refine((actor) => actor.ids ?? actor.emails ?? actor.names, 'give ids, emails or names')
    .optional(),
  /** Each clause needs an entry of its type; with `attribute`, that attribute must match one of `values`. */
  context: z
    .array(z.strictObject({ type: text, attribute: text.optional(), values: texts.optional() }).refine((c) => (c.attribute === undefined) === (c.values === undefined), 'give attribute and values together'))
    .min(1, 'must list at least one')
    .optional(),
  /** In (`ips`, `countries`) or outside (`notIps`, `notCountries`); an event without the field is in none. */
  location: z
    .strictObject({ ips: networks.optional(), notIps: networks.optional(), countries: texts.optional(), notCountries: texts.optional() })
    .refine((location) => location.ips ?? location.notIps ?? location.countries ?? location.notCountries, 'give ips, notIps, countries or notCountries')
    .optional(),
});

const ruleSchema = z
  .strictObject({
    id,
    title: text,
    description: text,
    severity: z.enum(SEVERITIES),
    kind: z.enum(['event', 'threshold']),
    match: matchSchema,
    subject: z.enum(SUBJECT_NAMES),
    /** Detections of the rule with the same subject within the period are one. */
    period: duration,
    /** Threshold rules: how many matching events with the same subject within the window. */
    threshold: z.number().int().min(2).max(10_000).optional(),
    window: duration.optional(),
    alert: text.refine((template) => unknownTemplateField(template) === undefined, {
      error: (issue) => `unknown field {${unknownTemplateField(String(issue.input))}}: use ${TEMPLATE_FIELDS.map((f) => `{${f}}`).join(', ')}`,
    }).optional(),
  })
  .superRefine((rule, ctx) => {
    const issue = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (rule.kind === 'event') {
      if (rule.threshold !== undefined) issue(['threshold'], 'only a threshold rule has one');
      if (rule.window !== undefined) issue(['window'], 'only a threshold rule has one');
      return;
    }
    if (rule.threshold === undefined) issue(['threshold'], 'a threshold rule needs one (a whole number from 2)');
    if (rule.window === undefined) issue(['window'], 'a threshold rule needs one (a duration such as 10m)');
    if (!(COUNTED_SUBJECTS as readonly string[]).includes(rule.subject)) issue(['subject'], `a threshold rule counts by ${COUNTED_SUBJECTS.join(' or ')}`);
    // The count is made in SQL over the stored events of the rule's actions: a narrower match would count events
    // the rule does not match.
    for (const clause of Object.keys(rule.match).filter((key) => key !== 'actions')) {
      issue(['match', clause], 'a threshold rule counts events by action and subject: match on actions only');
    }
  });

/** Lets a rule, built-in or a team's, ignore events of known actors, addresses or apps. */
const suppressionSchema = z
  .strictObject({
    rule: id,
    /** Account ids or e-mail addresses (whole, any case). */
    actors: texts.optional(),
    ips: networks.optional(),
    /** App ids or names, as the event's `apps` context entries carry them. */
    apps: texts.optional(),
  })
  .refine((s) => s.actors ?? s.ips ?? s.apps, 'give actors, ips or apps');

export const rulesFileSchema = z.strictObject({
  /** The pack's id: what `packs enable` and a sources file's `detectionPacks` name. */
  id,
  title: text,
  description: text,
  rules: z.array(ruleSchema).default([]),
  suppress: z.array(suppressionSchema).default([]),
});

export type RulesFile = z.infer<typeof rulesFileSchema>;
export type DeclaredRule = RulesFile['rules'][number];
export type DeclaredMatch = DeclaredRule['match'];
export type Suppression = RulesFile['suppress'][number];
