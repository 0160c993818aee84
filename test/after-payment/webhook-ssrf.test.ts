import { networkInterfaces } from 'node:os';
import { describeWhen } from '../support/ci.js';
import { eventually, request, SEED_004_SAMPLE } from '../support/http.js';
import { Receiver } from '../support/receiver.js';
import { newMerchant, startTill } from '../support/till.js';

/** This machine's first address that is not loopback (IPv4 preferred; link-local needs a zone, so not that). */
function nonLoopbackAddress(): { address: string; family: 'IPv4' | 'IPv6' } | null {
  const all = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  const candidates = all.filter((a) => !a.internal && !/^fe80:/i.test(a.address));
  const pick = candidates.find((a) => a.family === 'IPv4') ?? candidates[0];
  return pick ? { address: pick.address, family: pick.family } : null;
}

const own = nonLoopbackAddress();
const describeWithAddress = describeWhen(
  own !== null,
  'a non-loopback interface address to aim a webhook at',
);

interface Delivery {
  status: string;
  attempts: { error: string | null; response_excerpt: string | null; status_code: number | null }[];
}

describeWithAddress("webhooks to this machine's own addresses", () => {
  it('are refused without contacting them, and the attempt names neither the address nor the answer', async () => {
    const app = await startTill({ backend: 'embedded', env: { WEBHOOK_RETRY_SCHEDULE: '0.1' } });
    const receiver = await new Receiver().start(0, own!.family === 'IPv4' ? '0.0.0.0' : '::');
    receiver.fallback = { status: 200, body: 'INTERNAL-SECRET-DATA: the host answered' };
    try {
      // The receiver does answer on that address: only the policy stands in the way.
      const host = own!.family === 'IPv4' ? own!.address : `[${own!.address}]`;
      const direct = await fetch(`http://${host}:${receiver.port}/probe`, { method: 'POST', body: '{}' });
      expect(await direct.text()).toContain('INTERNAL-SECRET-DATA');
      receiver.received.length = 0;

      const merchant = await newMerchant(app);
      const targets = [
        `http://${host}:${receiver.port}/hooks`,
        // A name that resolves to loopback: refused after the lookup, and the address stays unsaid.
        `http://localhost:${receiver.port}/hooks`,
      ];
      const endpoints: string[] = [];
      for (const url of targets) {
        const created = await request(app.url, 'POST', '/v1/webhook_endpoints', {
          key: merchant.test_secret_key,
          body: { url },
        });
        expect(created.status).toBe(200);
        endpoints.push(created.json.id);
      }
      await request(app.url, 'POST', '/v1/payments/hpp', {
        key: merchant.test_secret_key,
        body: SEED_004_SAMPLE,
      });

      const finished: Delivery[] = [];
      await eventually(async () => {
        finished.length = 0;
        for (const id of endpoints) {
          const [delivery] = (
            await request(app.url, 'GET', `/v1/webhook_endpoints/${id}/deliveries`, {
              key: merchant.test_secret_key,
            })
          ).json.data as Delivery[];
          if (delivery?.status === 'failed') finished.push(delivery);
        }
        return finished.length === endpoints.length;
      }, 10_000);

      for (const delivery of finished)
        for (const attempt of delivery.attempts) {
          expect(attempt).toMatchObject({ status_code: null, response_excerpt: null });
          expect(attempt.error).toContain('address not allowed');
          for (const secret of [own!.address, '127.0.0.1', '::1', 'INTERNAL-SECRET-DATA'])
            expect(attempt.error).not.toContain(secret);
        }
      const refusals = app.logs.filter((line) => line.includes('webhook delivery not accepted'));
      expect(refusals.length).toBeGreaterThan(0);
      for (const line of refusals) {
        expect(line).not.toContain(own!.address);
        expect(line).not.toContain('INTERNAL-SECRET-DATA');
      }
      expect(receiver.received).toHaveLength(0);
    } finally {
      await receiver.stop();
      await app.close();
    }
  });
});
