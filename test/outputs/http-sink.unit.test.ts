import { Webhook } from 'standardwebhooks';
import { newSigningSecret } from '../../alerts/destinations';
import { outboundPolicy } from '../../config/outbound-guard';
import { createHttpSink } from '../../outputs/http-sink';
import type { OutgoingBatch } from '../../outputs/sink';
import { HttpReceiver } from '../../harness/http-receiver';

// What a receiver gets from an HTTP output, to the byte: receivers split the body on newlines and verify the signature
// over it, and a batch sent again after an upgrade must be the same body.
const LOOPBACK = outboundPolicy('127.0.0.1/32');

/** Multi-byte text of two, three and four bytes a character, and a lone surrogate (written as U+FFFD's bytes). */
const RECORDS = ['{"id":"e-1","actor":"Zoë"}', '{"id":"e-2","note":"日本 🎉"}', '{"id":"e-3","lone":"\ud83d"}'];
const EXPECTED_BODY = Buffer.concat([
  Buffer.from('{"id":"e-1","actor":"Zo\xc3\xab"}\n', 'latin1'),
  Buffer.from('{"id":"e-2","note":"\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89"}\n', 'latin1'),
  Buffer.from('{"id":"e-3","lone":"\xef\xbf\xbd"}\n', 'latin1'),
]);

const BATCH: OutgoingBatch = {
  outputId: 'output-1',
  outputName: 'siem',
  source: { id: 'source-1', name: 'acme', organizationId: 'org-1' },
  firstSeq: 11,
  lastSeq: 13,
  events: [],
  records: RECORDS,
};

test.each([
  { gzip: false, encoding: undefined },
  { gzip: true, encoding: 'gzip' },
])('a batch is one POST of UTF-8 NDJSON, each record a line ended by a newline, signed over those bytes (gzip: $gzip)', async ({ gzip, encoding }) => {
  const receiver = await HttpReceiver.start();
  try {
    const secret = newSigningSecret();
    await createHttpSink({ url: receiver.url, gzip, signingSecret: secret, outbound: LOOPBACK }).send(BATCH, new AbortController().signal);
    expect(receiver.received).toHaveLength(1);
    const [post] = receiver.received;
    expect(post.headers['content-type']).toBe('application/x-ndjson');
    expect(post.headers['content-encoding']).toBe(encoding);
    expect(post.bytes.toString('hex')).toBe(EXPECTED_BODY.toString('hex'));
    expect(post.headers['idempotency-key']).toBe('siem-source-1-11-13');
    // Standard Webhooks' verify() parses the body as one JSON document, which NDJSON is not: the signature is checked.
    const sentAt = new Date(Number(post.headers['webhook-timestamp']) * 1000);
    expect(post.headers['webhook-id']).toBe('siem-source-1-11-13');
    expect(post.headers['webhook-signature']).toBe(new Webhook(secret).sign('siem-source-1-11-13', sentAt, EXPECTED_BODY.toString('utf8')));
  } finally {
    await receiver.close();
  }
});
