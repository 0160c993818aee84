import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { authChecker } from './auth-checker.js';
import { AfterPaymentResolver, type AfterPaymentDeps } from './after-payment.resolver.js';
import { ConnectorAccountsResolver, type ConnectorAccountsDeps } from './connector-accounts.resolver.js';
import { CredentialsResolver, type CredentialsDeps } from './credentials.resolver.js';
import { PaymentHistoryResolver, type PaymentHistoryDeps } from './payment-history.resolver.js';
import { PaymentReportsResolver, type PaymentReportsDeps } from './payment-reports.resolver.js';
import { DashboardAuthResolver, type DashboardAuthDeps } from './dashboard-auth.resolver.js';
import { TeamResolver, type TeamDeps } from './team.resolver.js';
import { PaymentResolver, type PaymentResolverDeps } from './payment.resolver.js';
import { WebhookDeliveriesResolver, type WebhookDeliveriesDeps } from './webhook-deliveries.resolver.js';

const resolvers = [
  PaymentResolver,
  AfterPaymentResolver,
  CredentialsResolver,
  ConnectorAccountsResolver,
  PaymentReportsResolver,
  PaymentHistoryResolver,
  WebhookDeliveriesResolver,
  DashboardAuthResolver,
  TeamResolver,
] as const;

/**
 * Builds the executable schema. Resolvers get their dependencies through a tiny container, so
 * tests and the emitter can build the schema without a database.
 */
export async function buildTillSchema(
  deps:
    | (PaymentResolverDeps &
        AfterPaymentDeps &
        CredentialsDeps &
        ConnectorAccountsDeps &
        PaymentReportsDeps &
        PaymentHistoryDeps &
        WebhookDeliveriesDeps &
        DashboardAuthDeps &
        TeamDeps)
    | null,
): Promise<GraphQLSchema> {
  const instances = new Map<unknown, unknown>([
    [PaymentResolver, deps ? new PaymentResolver(deps) : null],
    [AfterPaymentResolver, deps ? new AfterPaymentResolver(deps) : null],
    [CredentialsResolver, deps ? new CredentialsResolver(deps) : null],
    [ConnectorAccountsResolver, deps ? new ConnectorAccountsResolver(deps) : null],
    [PaymentReportsResolver, deps ? new PaymentReportsResolver(deps) : null],
    [PaymentHistoryResolver, deps ? new PaymentHistoryResolver(deps) : null],
    [WebhookDeliveriesResolver, deps ? new WebhookDeliveriesResolver(deps) : null],
    [DashboardAuthResolver, deps ? new DashboardAuthResolver(deps) : null],
    [TeamResolver, deps ? new TeamResolver(deps) : null],
  ]);
  return buildSchema({
    resolvers,
    container: { get: (cls) => instances.get(cls) },
    validate: false,
    authChecker,
    // type-graphql insists on a PubSub once any subscription exists. Till's subscriptions bring their
    // own `subscribe` (the outbox-fed feeds), so this one must never be reached.
    pubSub: {
      publish: () => {
        throw new Error('type-graphql pubSub is not used: publish through the outbox');
      },
      subscribe: () => {
        throw new Error('type-graphql pubSub is not used: subscriptions open the outbox-fed feeds');
      },
    },
    emitSchemaFile: false,
  });
}
