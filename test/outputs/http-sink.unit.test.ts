import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { newSigningSecret } from '../../alerts/destinations';
import { outboundPolicy } from '../../config/outbound-guard';
import { createHttpSink } from '../../outputs/http-sink';
import type { OutgoingBatch } from '../../outputs/sink';
import { HttpReceiver } from '../../harness/http-receiver';

// Temporary: the sink's bytes and signature against the implementation it replaces (join, then sign the string).
const LOOPBACK = outboundPolicy('127.0.0.1/32');

function batchOf(records: string[]): OutgoingBatch {
  return { outputId: 'o', outputName: 'siem', source: { id: 's', name: 'acme', organizationId: 'org' }, firstSeq: 1, lastSeq: records.length, events: [], records };
}

function oldBody(records: string[]): { text: string; bytes: Buffer } {
  const text = records.join('\n') + '\n';
  return { text, bytes: Buffer.from(text) };
}

const RECORDS = [
  '{"id":"e-1","actor":"Zoë Ångström","city":"Zürich"}',
  '{"id":"e-2","note":"日本語のテキスト","emoji":"🎉👩‍💻"}',
  '{"id":"e-3","lone":"\ud83d","rtl":"שלום","ls":"\u2028"}',
  '{"id":"e-4","ascii":"plain"}',
  `${'{"id":"e-5","spliced":"'.slice(0, -1)}"ü${'"}'}`,
];

test.each([false, true])('new bytes and signature equal the old ones (gzip %s)', async (gzip) => {
  const receiver = await HttpReceiver.start();
  try {
    const secret = newSigningSecret();
    await createHttpSink({ url: receiver.url, gzip, signingSecret: secret, outbound: LOOPBACK }).send(batchOf(RECORDS), new AbortController().signal);
    const [got] = receiver.received;
    const old = oldBody(RECORDS);
    expect(got.bytes.equals(old.bytes)).toBe(true);
    const sentAt = new Date(Number(got.headers['webhook-timestamp']) * 1000);
    expect(got.headers['webhook-signature']).toBe(new Webhook(secret).sign(String(got.headers['webhook-id']), sentAt, old.text));
  } finally {
    await receiver.close();
  }
});

test('on any text, the new bytes and signature equal the old ones', async () => {

  const receiver = await HttpReceiver.start();
  try {
    const secret = newSigningSecret();
    const sink = createHttpSink({ url: receiver.url, gzip: false, signingSecret: secret, outbound: LOOPBACK });
    const texts = fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constantFrom('\ud83d', '\ude00', 'é', '日本', '🎉'));
    await fc.assert(
      fc.asyncProperty(fc.array(texts.map((t) => JSON.stringify({ id: 'x', t }).replace('\\ud83d', '\ud83d')), { minLength: 1, maxLength: 20 }), async (records) => {
        receiver.received.length = 0;
        await sink.send(batchOf(records), new AbortController().signal);
        const got = receiver.received[0];
        const old = oldBody(records);
        expect(got.bytes.equals(old.bytes)).toBe(true);
        const sentAt = new Date(Number(got.headers['webhook-timestamp']) * 1000);
        expect(got.headers['webhook-signature']).toBe(new Webhook(secret).sign(String(got.headers['webhook-id']), sentAt, old.text));
      }),
      { numRuns: 300 },
    );
  } finally {
    await receiver.close();
  }
});
