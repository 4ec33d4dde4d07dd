import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import type { Database } from '../../store/database';
import { cliEnvironment, openTestDatabase } from './cli-test-setup';
import { runCli, type CliRun } from './run-cli';

// What forwarding lets an operator or a pull request type, generated: outputs in `apply -f` files (names, kinds,
// settings, secret references, batching numbers, documents no parser should choke on) and the `outputs add` flags,
// each run through the real CLI against the run's PostgreSQL and Temporal. For every case: a refusal is one line on
// stderr, `error: …`, with a non-zero exit and no stack trace; no case, refused or accepted, shows a secret; `apply`
// runs with --dry-run and `outputs add` gets only input it must refuse, so nothing is stored. FUZZ_CLI_RUNS sets the
// number of cases (each is a CLI process, about a second), FUZZ_SEED replays a run.

const RUNS = wholeNumber('FUZZ_CLI_RUNS', process.env.FUZZ_CLI_RUNS ?? '40');
const SEED = wholeNumber('FUZZ_SEED', process.env.FUZZ_SEED ?? String(randomInt(2 ** 31)));
const PARALLEL = 4;

function wholeNumber(name: string, text: string): number {
  if (!/^\d{1,10}$/.test(text)) throw new Error(`${name} must be a whole number, not ${JSON.stringify(text)}`);
  return Number(text);
}

/** What the secrets hold: no output of any case may show it, nor its first ten characters. */
const SECRET = `S3CR3T${randomBytes(12).toString('hex')}`;
/** The variables a case may name; only the first is a good URL, and none is set to anything but secrets. */
const SECRET_VARIABLES = {
  AUDIT_SECRET_FUZZ_URL: `https://hooks.invalid/services/${SECRET}`,
  AUDIT_SECRET_FUZZ_TOKEN: SECRET,
  AUDIT_SECRET_FUZZ_NOT_A_URL: `${SECRET} \u001b[2J not a URL`,
  AUDIT_SECRET_FUZZ_SIGNING: `whsec_${SECRET}`,
};
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** Text an attacker would try: any UTF-16 (lone surrogates and controls included), and the classics. */
const hostileText = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('\n', '\r', '\t', '\u001b', '\u0000', '\u007f', '\u2028', 'a', 'Z', '0', '-', '.', '/', '\\', '"', "'", ':', '{', '[', '&', '*', '!', '|', '#', '%', '$', ' '), maxLength: 30 }),
  fc.constantFrom('', ' ', 'two\nlines', '\u001b[31mred\u001b[0m', '../../etc/passwd', '${CREDENTIALS_KEY}', '%s%n%x', '__proto__', 'constructor', 'A'.repeat(70_000)),
);
/** Any value a YAML document can hold. */
const hostileValue = fc.oneof(
  hostileText,
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1e21, Number.MAX_SAFE_INTEGER + 2, true, false, null, [], {}, { env: 'AUDIT_SECRET_FUZZ_URL' }),
  fc.array(hostileText, { maxLength: 3 }),
  fc.dictionary(hostileText, hostileText, { maxKeys: 3 }),
);
/** Where a secret might be said to be, and the secret itself where only a reference belongs. */
const hostileReference = fc.oneof(
  fc.constantFrom<unknown>(
    SECRET,
    SECRET_VARIABLES.AUDIT_SECRET_FUZZ_URL,
    { env: 'AUDIT_SECRET_FUZZ_NOT_A_URL' },
    { env: 'AUDIT_SECRET_FUZZ_SIGNING' },
    { env: 'AUDIT_SECRET_FUZZ_TOKEN' },
    { env: 'AUDIT_SECRET_FUZZ_UNSET' },
    { env: 'CREDENTIALS_KEY' },
    { env: 'DATABASE_URL' },
    { env: 'PATH' },
    { file: '../outside.secret' },
    { file: '/etc/passwd' },
    { file: 'bad-url.secret' },
    { file: 'missing.secret' },
    { env: 'AUDIT_SECRET_FUZZ_URL', file: 'bad-url.secret' },
  ),
  hostileText.map((env) => ({ env })),
  hostileText.map((file) => ({ file })),
  hostileValue,
);

const FIELDS = ['name', 'kind', 'format', 'sources', 'batch', 'lagAlert', 'gzip', 'bucket', 'prefix', 'region', 'endpoint', 'forcePathStyle', 'index', 'sourcetype', 'host', 'ack', 'ackTimeoutSeconds', 'maxBatchBytes'];
const SECRET_FIELDS = ['url', 'signingSecret', 'accessKeyId', 'secretAccessKey', 'sessionToken', 'token'];
const BATCH_FIELDS = ['events', 'bytes', 'age'];

/** A good entry of each kind, which a case then spoils. */
const goodEntry = (name: string) =>
  fc.constantFrom<Record<string, unknown>>(
    { name, kind: 'http', url: { env: 'AUDIT_SECRET_FUZZ_URL' } },
    { name, kind: 's3', bucket: 'fuzz-bucket' },
    { name, kind: 'splunk_hec', url: 'https://splunk.invalid:8088', token: { env: 'AUDIT_SECRET_FUZZ_TOKEN' } },
  );

const spoiledEntry = (name: string) =>
  fc
    .tuple(
      goodEntry(name),
      fc.array(
        fc.oneof(
          fc.tuple(fc.constantFrom(...FIELDS), hostileValue).map(([field, value]) => (entry: Record<string, unknown>) => ({ ...entry, [field]: value })),
          // A HEC output's url is a setting, shown as given: a secret there is the file's, and goes under token.
          fc.tuple(fc.constantFrom(...SECRET_FIELDS), hostileReference).map(([field, value]) => (entry: Record<string, unknown>) => ({ ...entry, [entry.kind === 'splunk_hec' && field === 'url' ? 'token' : field]: value })),
          fc.tuple(fc.constantFrom(...BATCH_FIELDS), hostileValue).map(([field, value]) => (entry: Record<string, unknown>) => ({ ...entry, batch: { [field]: value } })),
          fc.tuple(hostileText, hostileValue).map(([field, value]) => (entry: Record<string, unknown>) => ({ ...entry, [field]: value })),
        ),
        { minLength: 1, maxLength: 3 },
      ),
    )
    .map(([entry, spoilers]) => spoilers.reduce((spoilt, spoil) => spoil(spoilt), entry));

const depth = 20_000;
/** Whole documents no parser should choke on. */
const hostileDocuments = fc.constantFrom(
  { name: 'deep.yaml', text: `outputs:\n  - name: deep\n    batch: ${'['.repeat(depth)}${']'.repeat(depth)}\n` },
  { name: 'deep.json', text: `{"outputs":[{"name":"deep","batch":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}]}` },
  { name: 'aliases.yaml', text: `a: &a [x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`).join('\n')}\noutputs: *i\n` },
  { name: 'broken.yaml', text: 'outputs: [ { name: "x", ]\n' },
  { name: 'proto.json', text: '{"outputs":[{"name":"proto","kind":"http","url":{"env":"AUDIT_SECRET_FUZZ_URL"},"__proto__":{"kind":"s3"}}]}' },
  { name: 'scalar.yaml', text: 'outputs: 42\n' },
  { name: 'entries.yaml', text: 'outputs: [1, "two", null, [3]]\n' },
  { name: 'twice.yaml', text: 'outputs:\n  - { name: twice, url: { env: AUDIT_SECRET_FUZZ_URL } }\n  - { name: twice, url: { env: AUDIT_SECRET_FUZZ_URL } }\n' },
);

type Case = { kind: 'file'; name: string; text: string } | { kind: 'flags'; args: string[] };

const fileCases = fc.oneof(
  { weight: 6, arbitrary: fc.array(spoiledEntry('fuzz-entry'), { minLength: 1, maxLength: 2 }).map((outputs): Case => ({ kind: 'file', name: 'sources.yaml', text: stringify({ sources: [], outputs }) })) },
  { weight: 1, arbitrary: hostileDocuments.map((document): Case => ({ kind: 'file', ...document })) },
);

/** Text no argv or environment can carry: a NUL ends it. */
// eslint-disable-next-line no-control-regex -- the NUL is what it replaces
const argText = hostileText.map((text) => text.replace(/\u0000/g, '\u2400'));
const outOfRange = (min: number, max: number) =>
  fc.oneof(fc.integer({ max: min - 1 }), fc.integer({ min: max + 1 }), fc.double({ noInteger: true, noDefaultInfinity: true }), fc.constantFrom('1e400', 'NaN', '0x', '')).map(String);
const noDuration = fc.oneof(argText.filter((text) => !/^\s*\d/.test(text)), fc.constantFrom('-5s', '1.5h', '5 minutes'));

/**
 * `outputs add` with one flag it must refuse: a name, a value out of range, a secret that is no URL, a foreign flag.
 * A flag given twice takes its last value, so the spoilt value wins over the good one.
 */
const flagCases = fc
  .tuple(
    fc.constantFrom(
      ['--url-env', 'AUDIT_SECRET_FUZZ_URL'],
      ['--kind', 's3', '--bucket', 'fuzz-bucket'],
      ['--kind', 'splunk_hec', '--hec-url', 'https://splunk.invalid:8088', '--token-env', 'AUDIT_SECRET_FUZZ_TOKEN'],
    ),
    fc.oneof(
      // A name that looks like a flag (-V, --help) is read as one.
      argText.filter((name) => !NAME.test(name) && !name.startsWith('-')).map((name) => ({ name, flags: [] as string[] })),
      fc.tuple(
        fc.oneof(
          argText.filter((kind) => !['http', 's3', 'splunk_hec'].includes(kind)).map((kind) => ['--kind', kind]),
          argText.filter((format) => !['raw', 'ecs', 'ocsf'].includes(format)).map((format) => ['--format', format]),
          outOfRange(1, 100_000).map((n) => ['--batch-events', n]),
          outOfRange(1024, 100 * 1024 * 1024).map((n) => ['--batch-bytes', n]),
          fc.oneof(noDuration, fc.constantFrom('86401', '2d')).map((age) => ['--batch-age', age]),
          fc.oneof(noDuration, fc.constantFrom('59s', '31d')).map((lag) => ['--lag-alert', lag]),
          argText.map((name) => ['--sources', `fuzz-no-such-source-${name}`]),
          fc.constantFrom('AUDIT_SECRET_FUZZ_NOT_A_URL', 'AUDIT_SECRET_FUZZ_UNSET', 'CREDENTIALS_KEY', 'DATABASE_URL', 'not a name').map((name) => ['--url-env', name]),
          fc.constantFrom('AUDIT_SECRET_FUZZ_SIGNING', 'AUDIT_SECRET_FUZZ_TOKEN').map((name) => ['--signing-secret-env', name]),
          argText.map((text) => ['--endpoint', `not a url ${text}`]),
          argText.map((text) => ['--region', `Region ${text}`]),
          argText.map((text) => ['--bucket', `Bucket ${text}`]),
          argText.map((text) => ['--hec-url', `not a url ${text}`]),
          outOfRange(1, 600).map((n) => ['--ack-timeout', n]),
          argText.map((text) => [`--fuzz-${text.replace(/[^a-z]/g, '')}`, text]),
        ),
      ).map(([flags]) => ({ name: 'fuzz-flags', flags })),
    ),
  )
  .map(([base, spoilt]): Case => ({ kind: 'flags', args: ['outputs', 'add', spoilt.name, ...base, ...spoilt.flags] }));

const cases = fc.sample(fc.oneof(fileCases, flagCases), { numRuns: RUNS, seed: SEED });

describe('hostile outputs in files and flags (property-based)', () => {
  let db: Database;
  let folder: string;
  const tally = { refused: 0, accepted: 0 };
  const env = cliEnvironment(`fuzzed-outputs-idle-${SEED}`, 'https://api.atlassian.com', SECRET_VARIABLES);

  beforeAll(() => {
    process.stdout.write(`fuzzed outputs: FUZZ_SEED=${SEED} FUZZ_CLI_RUNS=${RUNS}\n`);
    db = openTestDatabase();
    folder = mkdtempSync(path.join(os.tmpdir(), 'fuzzed-outputs-'));
    writeFileSync(path.join(folder, 'bad-url.secret'), `${SECRET}\nnot a URL\n`);
  });
  afterAll(async () => {
    process.stdout.write(`fuzzed outputs: ${tally.refused} refused, ${tally.accepted} accepted (apply --dry-run)\n`);
    await db.close();
  });

  async function runCase(c: Case, index: number): Promise<CliRun> {
    if (c.kind === 'flags') return runCli(c.args, { env });
    const file = path.join(folder, `${index}-${c.name}`);
    writeFileSync(file, c.text);
    return runCli(['apply', '-f', file, '--dry-run'], { env });
  }

  it(`refuses in one line, never with a stack trace, and never shows a secret (${RUNS} cases)`, async () => {
    for (let start = 0; start < cases.length; start += PARALLEL) {
      const batch = cases.slice(start, start + PARALLEL);
      const runs = await Promise.all(batch.map((c, i) => runCase(c, start + i)));
      runs.forEach((run, i) => {
        const what = `case ${start + i} (FUZZ_SEED=${SEED}): ${JSON.stringify(batch[i]).slice(0, 2_000)}\nexit ${run.status}\nstdout: ${run.stdout.slice(0, 2_000)}\nstderr: ${run.stderr.slice(0, 2_000)}`;
        const shown = run.stdout + run.stderr;
        if (shown.includes(SECRET.slice(0, 10))) throw new Error(`a secret was shown: ${what}`);
        if (/^\s+at /m.test(run.stderr)) throw new Error(`a stack trace: ${what}`);
        // eslint-disable-next-line no-control-regex -- what must never reach the terminal raw
        if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(run.stderr)) throw new Error(`control characters on stderr: ${what}`);
        if (run.status === 0) {
          if (batch[i].kind === 'flags') throw new Error(`outputs add accepted what it must refuse: ${what}`);
          tally.accepted++;
          return;
        }
        const lines = run.stderr.trimEnd().split('\n');
        if (lines.length !== 1 || !lines[0].startsWith('error: ') || run.stdout !== '') throw new Error(`not one error line: ${what}`);
        tally.refused++;
      });
    }
    // Most spoilt entries are refused; a case that only adds a field some kind ignores may pass, and that is fine.
    expect(tally.refused).toBeGreaterThan(tally.accepted);
    const { rows } = await db.query<{ name: string }>("SELECT name FROM outputs WHERE name LIKE 'fuzz-%' OR name IN ('deep', 'proto', 'twice')");
    expect(rows).toEqual([]);
  }, 900_000);
});
