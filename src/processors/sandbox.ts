import { createHash } from 'node:crypto';
import type { Database } from '../db/orm.js';
import { randomBase62 } from '../domain/ids.js';
import { RESPONSE_CODES } from '../domain/simulation.js';
import { detectBrand, digitsOnly } from '../domain/card.js';
import {
  DECLINE_MESSAGES,
  type AuthenticationStep,
  type CardInput,
  type Challenge,
  type ChargeRequest,
  type ChargeResult,
  type PreparedCard,
  type OperationResult,
  type Processor,
  type Simulation,
} from './processor.js';

/** What a sandbox test card does (SPEC §6). Any other valid card number is approved. */
type Profile =
  | 'approve'
  | 'card_declined'
  | 'insufficient_funds'
  | 'expired_card'
  | 'incorrect_cvc'
  | 'processing_error'
  | 'challenge_approve'
  | 'challenge_decline';

export const TEST_CARDS: Record<string, Profile> = {
  '4242424242424242': 'approve',
  '5555555555554444': 'approve',
  '4000000000000002': 'card_declined',
  '4000000000009995': 'insufficient_funds',
  '4000000000000069': 'expired_card',
  '4000000000000127': 'incorrect_cvc',
  '4000000000000119': 'processing_error',
  '4000000000003220': 'challenge_approve',
  '4000008400001629': 'challenge_decline',
};

const FLOW_STEPS: Record<string, AuthenticationStep[]> = {
  FRICTIONLESS: [],
  CHALLENGE: ['challenge'],
  VERSIONING_FINGERPRINT_Y_CHALLENGE: ['versioning', 'fingerprint', 'challenge'],
  VERSIONING_FINGERPRINT_N_CHALLENGE: ['versioning', 'challenge'],
  VERSIONING_FINGERPRINT_Y_FRICTIONLESS: ['versioning', 'fingerprint'],
};

interface ChargeRow {
  id: string;
  outcome: string;
  decline_code: string | null;
  decline_message: string | null;
  approval_code: string | null;
  card_token: string | null;
}

/**
 * The built-in test-mode processor. It behaves like an external one — its own tables (`sandbox_*`),
 * idempotent charges, a 3-D Secure access control server page — and is driven by the test cards and
 * seed 000's simulation fields. Like a real processor's vault, it keeps a card's behaviour, brand,
 * last four digits and fingerprint, never the number or the CVC.
 */
export class SandboxProcessor implements Processor {
  readonly name = 'sandbox';

  constructor(
    private readonly db: Database,
    private readonly publicUrl: string,
  ) {}

  /** The 3-D Secure steps a card (or the simulated flow) asks for, decided before anything is stored. */
  authenticationOf(card: CardInput, simulation: Simulation): AuthenticationStep[] {
    const profile: Profile = TEST_CARDS[digitsOnly(card.number)] ?? 'approve';
    if (simulation.flow) return FLOW_STEPS[simulation.flow]!;
    return profile === 'challenge_approve' || profile === 'challenge_decline' ? ['challenge'] : [];
  }

  async prepareCard(card: CardInput, simulation: Simulation): Promise<PreparedCard> {
    const digits = digitsOnly(card.number);
    const profile: Profile = TEST_CARDS[digits] ?? 'approve';
    const prepared: PreparedCard = {
      ref: `sbc_${randomBase62(20)}`,
      brand: detectBrand(digits),
      last4: digits.slice(-4),
      expMonth: card.expMonth,
      expYear: card.expYear,
      country: digits.startsWith('4000008400') ? 'US' : 'DE',
      fingerprint: createHash('sha256')
        .update(`till-sandbox-fingerprint:${digits}`)
        .digest('base64url')
        .slice(0, 16),
      authentication: this.authenticationOf(card, simulation),
    };
    await this.db.em.fork().execute(
      `insert into sandbox_card (ref, profile, brand, last4, exp_month, exp_year, country, fingerprint, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, now())`,
      [
        prepared.ref,
        profile,
        prepared.brand,
        prepared.last4,
        prepared.expMonth,
        prepared.expYear,
        prepared.country,
        prepared.fingerprint,
      ],
    );
    return prepared;
  }

  async startChallenge(paymentId: string, card: PreparedCard): Promise<{ id: string; url: string }> {
    const id = `chl_${randomBase62(24)}`;
    await this.db.em
      .fork()
      .execute(
        `insert into sandbox_challenge (id, payment_id, card_ref, steps, step, created_at) values (?, ?, ?, ?, 0, now())`,
        [id, paymentId, card.ref, `{${card.authentication.join(',')}}`],
      );
    return { id, url: `${this.publicUrl}/hpp/sandbox/3ds/${id}` };
  }

  /** The access control server page of a challenge. */
  async startChallengeUrl(id: string): Promise<string | null> {
    return (await this.getChallenge(id)) ? `${this.publicUrl}/hpp/sandbox/3ds/${id}` : null;
  }

  async getChallenge(id: string): Promise<Challenge | null> {
    if (!/^chl_[A-Za-z0-9]{24}$/.test(id)) return null;
    const [row] = await this.db.em.fork().execute<
      {
        id: string;
        payment_id: string;
        card_ref: string;
        steps: string[] | string;
        step: number;
        result: string | null;
      }[]
    >('select id, payment_id, card_ref, steps, step, result from sandbox_challenge where id = ?', [id]);
    if (!row) return null;
    const steps = (
      Array.isArray(row.steps) ? row.steps : row.steps.replace(/[{}]/g, '').split(',').filter(Boolean)
    ) as AuthenticationStep[];
    return {
      id: row.id,
      paymentId: row.payment_id,
      cardRef: row.card_ref,
      steps,
      step: row.step,
      result: row.result as Challenge['result'],
    };
  }

  async advanceChallenge(id: string, answer?: 'pass' | 'fail'): Promise<Challenge> {
    const challenge = await this.getChallenge(id);
    if (!challenge) throw new Error(`no such challenge ${id}`);
    if (challenge.result) return challenge;
    const current = challenge.steps[challenge.step];
    let result: Challenge['result'] = null;
    let step = challenge.step;
    if (current === 'challenge') {
      if (!answer) return challenge; // the customer must answer
      result = answer === 'pass' ? 'passed' : 'failed';
    } else {
      step += 1;
      if (step >= challenge.steps.length) result = 'passed'; // frictionless after versioning/fingerprint
    }
    await this.db.em
      .fork()
      .execute('update sandbox_challenge set step = ?, result = ? where id = ? and result is null', [
        step,
        result,
        id,
      ]);
    return { ...challenge, step, result };
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const em = this.db.em.fork();
    const existing = await this.findCharge(request.idempotencyKey);
    if (existing) return existing;
    const [card] = await em.execute<{ profile: Profile }[]>(
      'select profile from sandbox_card where ref = ?',
      [request.cardRef],
    );
    if (!card)
      return {
        outcome: 'failed',
        chargeId: '',
        code: 'processing_error',
        message: DECLINE_MESSAGES.processing_error!,
      };

    const decision = this.decide(card.profile, request);
    const id = `sbch_${randomBase62(20)}`;
    const approvalCode =
      decision.code === null ? (request.simulation.approvalCode ?? randomBase62(6).toUpperCase()) : null;
    const cardToken = decision.code === null && request.tokenize ? `tok_${randomBase62(24)}` : null;
    const message = decision.code
      ? (request.simulation.providerMessage ?? DECLINE_MESSAGES[decision.code] ?? decision.code)
      : null;
    // The unique idempotency key makes a concurrent duplicate fail here; it then reads the winner's row.
    await em.execute(
      `insert into sandbox_charge (id, idempotency_key, card_ref, amount, currency, capture, outcome, decline_code, decline_message, approval_code, card_token, created_at)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()) on conflict (idempotency_key) do nothing`,
      [
        id,
        request.idempotencyKey,
        request.cardRef,
        request.amount,
        request.currency,
        request.capture,
        decision.outcome,
        decision.code,
        message,
        approvalCode,
        cardToken,
      ],
    );
    return (await this.findCharge(request.idempotencyKey))!;
  }

  async capture(request: {
    idempotencyKey: string;
    chargeId: string;
    amount: number;
  }): Promise<OperationResult> {
    return this.operation('capture', request.idempotencyKey, request.chargeId, request.amount);
  }

  async void(request: { idempotencyKey: string; chargeId: string }): Promise<OperationResult> {
    return this.operation('void', request.idempotencyKey, request.chargeId, null);
  }

  async refund(request: {
    idempotencyKey: string;
    chargeId: string;
    amount: number;
  }): Promise<OperationResult> {
    return this.operation('refund', request.idempotencyKey, request.chargeId, request.amount);
  }

  /**
   * Capture, void and refund, each recorded once per key; the answer to a repeated key is the first
   * answer. Amounts are checked against the charge like a processor would.
   */
  private async operation(
    kind: 'capture' | 'void' | 'refund',
    key: string,
    chargeId: string,
    amount: number | null,
  ): Promise<OperationResult> {
    const em = this.db.em.fork();
    const read = async () =>
      (
        await em.execute<{ outcome: string }[]>(
          'select outcome from sandbox_operation where idempotency_key = ?',
          [key],
        )
      )[0];
    const existing = await read();
    if (existing)
      return existing.outcome === 'succeeded'
        ? { outcome: 'succeeded' }
        : { outcome: 'failed', message: existing.outcome };
    const [charge] = await em.execute<{ amount: string; outcome: string }[]>(
      'select amount, outcome from sandbox_charge where id = ?',
      [chargeId],
    );
    let outcome = 'succeeded';
    if (!charge || charge.outcome !== 'approved') outcome = 'no such approved charge';
    else if (amount !== null && amount > Number(charge.amount)) outcome = 'amount exceeds the charge';
    await em.execute(
      `insert into sandbox_operation (idempotency_key, kind, charge_id, amount, outcome, created_at)
       values (?, ?, ?, ?, ?, now()) on conflict (idempotency_key) do nothing`,
      [key, kind, chargeId, amount, outcome],
    );
    const stored = (await read())!;
    return stored.outcome === 'succeeded'
      ? { outcome: 'succeeded' }
      : { outcome: 'failed', message: stored.outcome };
  }

  private decide(
    profile: Profile,
    request: ChargeRequest,
  ): { outcome: 'approved' | 'declined' | 'failed'; code: string | null } {
    if (request.authentication === 'failed') return { outcome: 'declined', code: 'authentication_failed' };
    const forced = request.simulation.responseCode;
    if (forced) {
      const code = RESPONSE_CODES[forced];
      return {
        outcome: code === null ? 'approved' : code === 'processing_error' ? 'failed' : 'declined',
        code,
      };
    }
    switch (profile) {
      case 'approve':
      case 'challenge_approve':
        return { outcome: 'approved', code: null };
      case 'challenge_decline':
        return { outcome: 'declined', code: 'card_declined' };
      case 'processing_error':
        return { outcome: 'failed', code: 'processing_error' };
      default:
        return { outcome: 'declined', code: profile };
    }
  }

  private async findCharge(idempotencyKey: string): Promise<ChargeResult | null> {
    const [row] = await this.db.em
      .fork()
      .execute<ChargeRow[]>(
        'select id, outcome, decline_code, decline_message, approval_code, card_token from sandbox_charge where idempotency_key = ?',
        [idempotencyKey],
      );
    if (!row) return null;
    return row.outcome === 'approved'
      ? {
          outcome: 'approved',
          chargeId: row.id,
          approvalCode: row.approval_code ?? '',
          cardToken: row.card_token,
        }
      : {
          outcome: row.outcome as 'declined' | 'failed',
          chargeId: row.id,
          code: row.decline_code ?? 'card_declined',
          message: row.decline_message ?? '',
        };
  }
}
