import { z } from 'zod';
import { nestedDeeperThan } from './json-text';

// The schemas describe the documented shape of the organization events API, but every object is loose: fields
// Atlassian adds later survive parsing, so a parsed event can be stored verbatim as the raw record. Only what the
// pipeline cannot work without is required (event id, action, time, actor id); every other documented field is
// optional and nullable, because real events omit them, send empty strings, or send null.

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** Epoch milliseconds of an RFC 3339 time (with or without fractional seconds), or NaN when it is not one. */
export function parseRfc3339(value: string): number {
  const match = RFC3339.exec(value);
  if (!match) return Number.NaN;
  const [, , month, day, hour, minute, second] = match.map(Number);
  // Date.parse rolls 2024-02-31 over into March; an out-of-range field means the producer is broken.
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return Number.NaN;
  return Date.parse(value.toUpperCase());
}

const rfc3339Time = z.string().refine((value) => !Number.isNaN(parseRfc3339(value)), 'unparsable time');
const optionalText = z.string().nullish();
const links = z.looseObject({ self: optionalText, alt: optionalText, next: optionalText, prev: optionalText });

const auth = z.looseObject({ authType: optionalText, tokenId: optionalText, tokenLabel: optionalText });

const actor = z.looseObject({
  id: z.string(),
  name: optionalText,
  // Not an e-mail validator on purpose: system actors send { id: "confluence", email: "Atlassian app" }.
  email: optionalText,
  auth: auth.nullish(),
  onBehalfOf: z.looseObject({ id: optionalText, name: optionalText, email: optionalText }).nullish(),
  app: z.looseObject({}).nullish(),
  links: links.nullish(),
});

const contextEntry = z.looseObject({
  id: optionalText,
  type: optionalText,
  attributes: z.record(z.string(), z.unknown()).nullish(),
  links: links.nullish(),
});

const location = z.looseObject({
  ip: optionalText,
  geo: optionalText,
  countryName: optionalText,
  regionName: optionalText,
  city: optionalText,
});

/**
 * Atlassian's events are about 6 levels deep. A deeper one is held: 1,000 levels keep every recursive step after the
 * client (JSON.stringify, making the event storable, PostgreSQL's jsonb parser) far from the end of its stack.
 */
export const MAX_EVENT_DEPTH = 1_000;

export const auditEventSchema = z.looseObject({
  id: z.string().min(1),
  type: optionalText,
  attributes: z.looseObject({
    time: rfc3339Time,
    // Present on events-stream only; when present the checkpoint depends on it, so it must parse.
    processedAt: rfc3339Time.nullish(),
    action: z.string().min(1),
    actor,
    context: z.array(contextEntry).nullish(),
    container: z.array(contextEntry).nullish(),
    location: location.nullish(),
  }),
  message: z.looseObject({ content: optionalText, format: optionalText }).nullish(),
  relations: z.unknown().optional(),
  links: links.nullish(),
}).refine((event) => !nestedDeeperThan(event, MAX_EVENT_DEPTH), `nested more than ${MAX_EVENT_DEPTH} levels deep`);

export type AuditEvent = z.infer<typeof auditEventSchema>;

const pageMeta = z.looseObject({ next: optionalText, page_size: z.number().nullish() });

/**
 * The page's envelope. Its events are validated one by one (client.ts, readEvents): an event that does not have the
 * documented shape is set aside for the quarantine rather than failing the page, and with it every event after it.
 */
export const eventsPageSchema = z.looseObject({
  data: z.array(z.unknown()),
  meta: pageMeta.nullish(),
  links: links.nullish(),
});

export type EventsPageBody = z.infer<typeof eventsPageSchema>;

export const orgSchema = z.looseObject({
  id: z.string().min(1),
  type: optionalText,
  attributes: z.looseObject({ name: optionalText }).nullish(),
});

export type Org = z.infer<typeof orgSchema>;

export const orgsPageSchema = z.looseObject({
  data: z.array(orgSchema),
  meta: pageMeta.nullish(),
  links: links.nullish(),
});

/** `errors[]` form of application errors; used only to read code and title, never to validate. */
export const apiErrorBodySchema = z.looseObject({
  errors: z
    .array(z.looseObject({ status: z.unknown(), code: optionalText, title: optionalText, detail: optionalText }))
    .min(1),
});

/** The gateway's form: `{"code":401,"message":"Unauthorized; scope does not match"}`. */
export const gatewayErrorBodySchema = z.looseObject({
  code: z.union([z.number(), z.string()]).nullish(),
  message: z.string(),
});
