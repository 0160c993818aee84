import { jest } from '@jest/globals';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { PaymentRepository } from '../../src/db/repositories/payments.js';
import { TillError } from '../../src/domain/errors.js';
import type { CreateHostedPaymentInput } from '../../src/domain/payment.js';
import { PaymentService } from '../../src/services/payments.js';

const principal = { merchantId: 'mer_1', livemode: false, credentialId: 'key_1' };
const apiInput: CreateHostedPaymentInput = {
  rules: 'api',
  amount: 1000,
  currency: 'EUR',
  merchantReference: 'order-1',
  transactionType: 'PURCHASE',
  terminalId: 'DEV02',
  successUrl: 'https://shop.example/ok',
  cancelUrl: 'https://shop.example/cancel',
  errorUrlOptional: true,
};

/** A repository that knows one terminal and records what the service asks of it. */
function fakeRepository() {
  const calls = { terminal: 0, insert: 0 };
  const tx = { insert: async () => undefined } as unknown as SqlEntityManager;
  const repository = {
    terminal: async () => {
      calls.terminal += 1;
      return { id: 'DEV02', currencies: ['EUR'], paymentMethods: ['card'], tokenization: false };
    },
    insert: async () => {
      calls.insert += 1;
    },
    transaction: async <T>(work: (em: SqlEntityManager) => Promise<T>) => work(tx),
  } as unknown as PaymentRepository;
  return { calls, repository, tx };
}

describe('creating a hosted payment', () => {
  const config = { publicUrl: 'https://till.example', hppSessionTtlSeconds: 3600 };

  it('reads the terminal once and validates once', async () => {
    const { calls, repository, tx } = fakeRepository();
    const committed = jest.fn();
    const created = await new PaymentService(repository, config, committed).createHostedPayment(
      principal,
      apiInput,
      tx,
    );
    expect(created.payment).toMatchObject({ status: 'PENDING', terminalId: 'DEV02', version: 1 });
    expect(created.redirectUrl).toMatch(
      /^https:\/\/till\.example\/hpp\/payment\/[A-Za-z0-9]{40}\/[A-Za-z0-9]{20}$/,
    );
    expect(calls).toEqual({ terminal: 1, insert: 1 });
    expect(committed).not.toHaveBeenCalled(); // the caller's transaction announces its own commit
  });

  it("reports the surface's problems and the domain rules' together, the surface's first, and writes nothing", async () => {
    const { calls, repository, tx } = fakeRepository();
    const error = await new PaymentService(repository, config, () => undefined)
      .createHostedPayment(principal, { ...apiInput, currency: 'USD' }, tx, [
        { field: 'reference', message: 'reference must be a string' },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TillError);
    const problems = (error as TillError).problems;
    expect(problems[0]).toEqual({ field: 'reference', message: 'reference must be a string' });
    expect(problems.slice(1).map((p) => p.field)).toContain('currency');
    expect(calls).toEqual({ terminal: 1, insert: 0 });
  });
});
