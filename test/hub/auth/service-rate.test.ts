// A delegate service that rotates X-Meshprobe-On-Behalf-Of gets a fresh per-user bucket with
// every name; the aggregate limit per service token stops the rotation from multiplying its
// budget: 429 with Retry-After and a message naming the limit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRequestLimits } from '../../../hub/auth/bearer-authorize.ts';
import { withTestHub } from '../../helpers/test-hub.ts';

test('rotating X-Meshprobe-On-Behalf-Of through one service token hits the service aggregate: 429, Retry-After, the limit named', async () => {
  // A rate so low that nothing refills during the test, whatever the machine's load.
  await withTestHub({ control: { subjectRatePerS: 1, subjectBurst: 2, serviceRatePerS: 0.01, serviceBurst: 10 } }, async (t) => {
    const service = await t.token(['measure', 'delegate'], 'service:bot');
    const other = await t.token(['measure', 'delegate'], 'service:email');
    const version = (token: string, user: string) =>
      fetch(t.url + '/v1/version', { headers: { authorization: `Bearer ${token}`, 'x-meshprobe-on-behalf-of': user } });

    let admitted = 0;
    let refusal: Response | undefined;
    for (let i = 1; i <= 30; i++) {
      const res = await version(service, `telegram:${1000 + i}`);
      if (res.status === 200) {
        admitted++;
        await res.body?.cancel();
      } else {
        refusal = res;
        break;
      }
    }
    assert.equal(admitted, 10, 'the burst of the service, not one per invented user');
    assert.equal(refusal!.status, 429);
    assert.ok(Number(refusal!.headers.get('retry-after')) >= 1, 'Retry-After');
    const body = (await refusal!.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'MP_ERR_RATE_LIMITED');
    assert.match(body.error.message, /^too many requests via service:bot for all its users together \(the limit is 0\.01\/s, burst 10; MESHPROBE_SERVICE_RATE\); retry in \d+ s$/);

    // Another service has its own aggregate.
    const res = await version(other, 'email:alice@example.org');
    assert.equal(res.status, 200);
    await res.body?.cancel();
  });
});

test('by default the aggregate is a multiple of the per-user rate: 400 rotated identities are not all admitted at once', () => {
  const limits = createRequestLimits({ now: () => 0 });
  let admitted = 0;
  for (let i = 0; i < 400; i++) if (!limits.subject({ subject: `telegram:${i}`, scopes: ['measure'], via: 'service:bot' })) admitted++;
  // Defaults: 20/s and burst 100 per user, 100/s and burst 200 per service.
  assert.equal(admitted, 200);
  // A user of its own is still limited on its own bucket (burst 100).
  let alice = 0;
  for (let i = 0; i < 150; i++) if (!limits.subject({ subject: 'telegram:alice', scopes: ['measure'] })) alice++;
  assert.equal(alice, 100);
});
