import type { ResponseCode, SimulatedFlow } from '../domain/simulation.js';

/** Card data as the customer typed it. Lives only in memory for the length of one request. */
export interface CardInput {
  number: string;
  expMonth: number;
  expYear: number;
  cvc: string;
  name: string;
}

/** Test-mode overrides from seed 000's metadata (`simulated_flow`, `response_code`, …). */
export interface Simulation {
  flow?: SimulatedFlow;
  responseCode?: ResponseCode;
  providerMessage?: string;
  providerCode?: string;
  approvalCode?: string;
}

/** What the processor keeps of a card (in its own vault) and tells Till: never the number or CVC. */
export interface PreparedCard {
  ref: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  country: string | null;
  fingerprint: string;
  /** 3-D Secure steps the customer must go through before the charge (empty = none). */
  authentication: AuthenticationStep[];
}

export type AuthenticationStep = 'versioning' | 'fingerprint' | 'challenge';

export interface ChargeRequest {
  /** Makes the charge idempotent at the processor: the same key never charges twice. */
  idempotencyKey: string;
  cardRef: string;
  amount: number;
  currency: string;
  /** false = authorize only (AUTHORIZE payments). */
  capture: boolean;
  tokenize: boolean;
  simulation: Simulation;
  /** Outcome of 3-D Secure, when there was a challenge. */
  authentication: 'not_required' | 'passed' | 'failed';
}

export type ChargeResult =
  | { outcome: 'approved'; chargeId: string; approvalCode: string; cardToken: string | null }
  | { outcome: 'declined' | 'failed'; chargeId: string; code: string; message: string };

export interface Challenge {
  id: string;
  paymentId: string;
  cardRef: string;
  steps: AuthenticationStep[];
  step: number;
  result: 'passed' | 'failed' | null;
}

/**
 * A card processor. Till calls it from the checkout service only. Every call that moves money is
 * idempotent by key, so Till can repeat it after a crash without charging twice.
 */
export interface Processor {
  readonly name: string;
  /** Vaults the card at the processor; returns what Till may keep. */
  prepareCard(card: CardInput, simulation: Simulation): Promise<PreparedCard>;
  /** Starts 3-D Secure for a prepared card; the customer is sent to `url`. */
  startChallenge(paymentId: string, card: PreparedCard): Promise<{ id: string; url: string }>;
  getChallenge(id: string): Promise<Challenge | null>;
  /** Advances the challenge by one step; `answer` decides the final challenge step. */
  advanceChallenge(id: string, answer?: 'pass' | 'fail'): Promise<Challenge>;
  /** Authorizes (and captures, if asked) once per idempotency key. */
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** Captures `amount` of an authorization (the rest is released), once per key. */
  capture(request: { idempotencyKey: string; chargeId: string; amount: number }): Promise<OperationResult>;
  /** Releases an authorization, once per key. */
  void(request: { idempotencyKey: string; chargeId: string }): Promise<OperationResult>;
  /** Returns `amount` of a captured charge to the card, once per key. */
  refund(request: { idempotencyKey: string; chargeId: string; amount: number }): Promise<OperationResult>;
}

export type OperationResult = { outcome: 'succeeded' } | { outcome: 'failed'; message: string };

/** Human text for decline codes (shown to customers and stored as `decline_message`). */
export const DECLINE_MESSAGES: Record<string, string> = {
  card_declined: 'The card was declined.',
  insufficient_funds: 'The card has insufficient funds.',
  expired_card: 'The card has expired.',
  incorrect_cvc: "The card's security code is incorrect.",
  processing_error: 'An error occurred while processing the card. Try again later.',
  authentication_failed: '3-D Secure authentication failed.',
};
