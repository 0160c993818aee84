import { Arg, Ctx, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { PaymentStatus as DomainStatus } from '../domain/payment-status.js';
import { LIMITS, type PaymentObject } from '../domain/payment.js';
import type { IdempotencyService } from '../services/idempotency.js';
import { toPaymentObject } from '../services/payment-object.js';
import type { PaymentService } from '../services/payments.js';
import type { AuthorizationService } from '../services/authorizations.js';
import { principalOf, type GraphQLContext } from './context.js';
import {
  CancelPaymentPayload,
  CreateHostedPaymentInput,
  CreateHostedPaymentPayload,
  toDomainInput,
} from './create-hosted-payment.input.js';
import { toGraphQLError, toUserErrors } from './errors.js';
import {
  connection,
  connectionWindow,
  decodeCursor,
  encodeCursor,
  PaymentConnection,
  PaymentFilter,
} from './payment-connection.type.js';
import { Payment } from './payment.type.js';

export interface PaymentResolverDeps {
  payments: PaymentService;
  idempotency: IdempotencyService;
  authorizations: AuthorizationService;
  publicUrl: string;
}

/** GraphQL's payment operations: a thin adapter over PaymentService. */
@Resolver(() => Payment)
export class PaymentResolver {
  constructor(private readonly deps: PaymentResolverDeps) {}

  private view(payment: Parameters<typeof toPaymentObject>[0]): Payment {
    return Payment.from(toPaymentObject(payment, this.deps.publicUrl));
  }

  @Query(() => Payment, { description: 'One of your payments, by id.' })
  async payment(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<Payment> {
    const principal = principalOf(ctx);
    return this.view(await this.deps.payments.getPayment(principal, id).catch(toGraphQLError));
  }

  @Query(() => PaymentConnection, { description: 'Your payments, newest first.' })
  async payments(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: LIMITS.listDefault, description: `1 to ${LIMITS.listMax}.` })
    first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('filter', () => PaymentFilter, { nullable: true }) filter: PaymentFilter | null,
  ): Promise<PaymentConnection> {
    const principal = principalOf(ctx);
    const window = connectionWindow(first, after, decodeCursor);
    const page = await this.deps.payments
      .listPayments(principal, {
        ...window,
        status: (filter?.status as DomainStatus | null | undefined) ?? null,
      })
      .catch((error) => {
        throw toGraphQLError(error);
      });
    const nodes = page.data.map((p) => this.view(p));
    return connection(nodes, encodeCursor, page.hasMore, window.startingAfter !== null);
  }

  @Mutation(() => CreateHostedPaymentPayload, {
    description: 'Creates a hosted payment and returns the URL to send the customer to.',
  })
  async createHostedPayment(
    @Arg('input', () => CreateHostedPaymentInput) input: CreateHostedPaymentInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<CreateHostedPaymentPayload> {
    const principal = principalOf(ctx);
    const { idempotencyKey, ...params } = input;
    try {
      const { body } = await this.deps.idempotency.perform(
        {
          principal,
          key: idempotencyKey ?? ctx.idempotencyKey,
          required: false,
          keyField: 'idempotencyKey',
          operation: 'graphql createHostedPayment',
          params,
        },
        async (tx) => {
          const created = await this.deps.payments.createHostedPayment(principal, toDomainInput(input), tx);
          const stored = {
            payment: toPaymentObject(created.payment, this.deps.publicUrl),
            redirectUrl: created.redirectUrl,
            sessionId: created.payment.sessionId ?? null,
          };
          return { status: 200, body: JSON.stringify(stored) };
        },
        { transactional: true },
      );
      const stored = JSON.parse(body) as {
        payment: PaymentObject;
        redirectUrl: string;
        sessionId: string | null;
      };
      return {
        payment: Payment.from(stored.payment),
        hostedPaymentUrl: stored.redirectUrl,
        sessionId: stored.sessionId,
        userErrors: [],
      };
    } catch (error) {
      return {
        payment: null,
        hostedPaymentUrl: null,
        sessionId: null,
        userErrors: toUserErrors(error, ['input']),
      };
    }
  }

  @Mutation(() => CancelPaymentPayload, {
    description: 'Cancels a PENDING or REQUIRES_ACTION payment, or voids an AUTHORIZED one.',
  })
  async cancelPayment(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<CancelPaymentPayload> {
    const principal = principalOf(ctx);
    try {
      return { payment: this.view(await this.deps.authorizations.cancel(principal, id)), userErrors: [] };
    } catch (error) {
      return { payment: null, userErrors: toUserErrors(error, []) };
    }
  }

  @Subscription(() => Payment, {
    description:
      "A payment's status changes, starting with its current state; all of your payments when paymentId is omitted.",
    subscribe: async ({ args, context }) => {
      const ctx = context as GraphQLContext;
      const principal = principalOf(ctx);
      const paymentId = (args as { paymentId?: string | null }).paymentId ?? null;
      return ctx.openPaymentFeed(principal, paymentId).catch(toGraphQLError);
    },
  })
  paymentStatusChanged(
    @Root() payment: PaymentObject,
    @Arg('paymentId', () => ID, { nullable: true }) _paymentId: string | null,
  ): Payment {
    // Subscribers of one change share one PaymentObject; convert it once for all of them.
    let view = subscriptionViews.get(payment);
    if (!view) subscriptionViews.set(payment, (view = Payment.from(payment)));
    return view;
  }
}

const subscriptionViews = new WeakMap<PaymentObject, Payment>();
