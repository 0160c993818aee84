/**
 * Every GraphQL operation the dashboard sends, each typed with its variables and result. The
 * dashboard speaks only Till's public API: these are the same operations any merchant client can
 * send.
 */
import { gql } from '@urql/core';

export type Role = 'OWNER' | 'ADMIN' | 'DEVELOPER' | 'ANALYST';
export type PaymentStatus =
  | 'PENDING'
  | 'REQUIRES_ACTION'
  | 'PROCESSING'
  | 'AUTHORIZED'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'CANCELED'
  | 'EXPIRED';
export const PAYMENT_STATUSES: readonly PaymentStatus[] = [
  'PENDING',
  'REQUIRES_ACTION',
  'PROCESSING',
  'AUTHORIZED',
  'SUCCEEDED',
  'FAILED',
  'CANCELED',
  'EXPIRED',
];
export const ROLES: readonly Role[] = ['OWNER', 'ADMIN', 'DEVELOPER', 'ANALYST'];

export interface UserError {
  field: string[];
  message: string;
  code: string;
}
export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}
interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
}

export interface TeamMember {
  id: string;
  email: string;
  role: Role;
  status: string;
  createdAt: number;
  lastSignInAt: number | null;
}
export interface Viewer {
  user: TeamMember | null;
  merchant: { id: string; name: string };
  livemode: boolean;
  role: Role | null;
  permissions: string[];
}
export interface Invitation {
  id: string;
  email: string;
  role: Role;
  createdAt: number;
  expiresAt: number;
}

export interface Refund {
  id: string;
  amount: number;
  status: string;
  reason: string | null;
  failureReason: string | null;
  createdAt: number;
}
export interface PaymentRow {
  id: string;
  amount: number;
  currency: string;
  status: PaymentStatus;
  amountRefunded: number;
  createdAt: number;
  merchantReference: string | null;
  description: string | null;
  card: { brand: string; last4: string } | null;
  version: number;
}
export interface TillEvent {
  id: string;
  type: string;
  createdAt: number;
}
export interface WebhookDelivery {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  paymentId: string | null;
  status: string;
  attempts: number;
  responseStatus: number | null;
  responseExcerpt: string | null;
  createdAt: number;
  lastAttemptAt: number | null;
  nextAttemptAt: number | null;
}
export interface PaymentDetail extends PaymentRow {
  amountRefundable: number;
  amountCaptured: number | null;
  transactionType: 'PURCHASE' | 'AUTHORIZE';
  declineCode: string | null;
  declineMessage: string | null;
  card: { brand: string; last4: string; expMonth: number; expYear: number; country: string | null } | null;
  statusTransitions: {
    requiresActionAt: number | null;
    processingAt: number | null;
    authorizedAt: number | null;
    succeededAt: number | null;
    failedAt: number | null;
    canceledAt: number | null;
    expiredAt: number | null;
  };
  refunds: Refund[];
  events: TillEvent[];
  webhookDeliveries: WebhookDelivery[];
}

export interface PaymentFilter {
  statuses?: PaymentStatus[];
  createdFrom?: number;
  createdTo?: number;
  amountMin?: number;
  amountMax?: number;
  currency?: string;
  search?: string;
}

export interface CurrencyAmount {
  currency: string;
  amount: number;
}
export interface PaymentStats {
  from: number;
  to: number;
  buckets: { start: number; count: number; succeeded: number; failed: number; volume: CurrencyAmount[] }[];
  totals: {
    count: number;
    succeeded: number;
    failed: number;
    successRate: number | null;
    volume: CurrencyAmount[];
  };
  declines: { code: string; count: number }[];
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string | null;
  enabledEvents: string[];
  status: string;
  disabledReason: string | null;
  createdAt: number;
}
export interface ApiKey {
  id: string;
  type: 'SECRET' | 'PUBLISHABLE';
  redacted: string;
  last4: string | null;
  status: 'ACTIVE' | 'EXPIRING' | 'EXPIRED' | 'REVOKED';
  createdAt: number;
  expiresAt: number | null;
}
export interface AuditEntry {
  id: string;
  action: string;
  actorType: string;
  actorId: string | null;
  objectType: string;
  objectId: string | null;
  createdAt: number;
}

const VIEWER_FIELDS = `
  user { id email role status createdAt lastSignInAt }
  merchant { id name }
  livemode
  role
  permissions
`;
const ROW_FIELDS = `
  id amount currency status amountRefunded createdAt merchantReference description version
  card { brand last4 }
`;
const DELIVERY_FIELDS = `
  id endpointId eventId eventType paymentId status attempts responseStatus responseExcerpt
  createdAt lastAttemptAt nextAttemptAt
`;
const DETAIL_FIELDS = `
  ${ROW_FIELDS}
  amountRefundable amountCaptured transactionType declineCode declineMessage
  card { brand last4 expMonth expYear country }
  statusTransitions { requiresActionAt processingAt authorizedAt succeededAt failedAt canceledAt expiredAt }
  refunds { id amount status reason failureReason createdAt }
  events { id type createdAt }
  webhookDeliveries { ${DELIVERY_FIELDS} }
`;
const ENDPOINT_FIELDS = 'id url description enabledEvents status disabledReason createdAt';
const KEY_FIELDS = 'id type redacted last4 status createdAt expiresAt';
const ERRORS = 'userErrors { field message code }';

// Session and viewer.
export const ViewerQuery = gql<{ viewer: Viewer | null }, Record<string, never>>(
  `query DashboardViewer { viewer { ${VIEWER_FIELDS} } }`,
);
type SignInResult = { viewer: Viewer | null; userErrors: UserError[] };
export const SignInMutation = gql<{ signIn: SignInResult }, { email: string; password: string }>(
  `mutation DashboardSignIn($email: String!, $password: String!) {
    signIn(email: $email, password: $password) { viewer { ${VIEWER_FIELDS} } ${ERRORS} }
  }`,
);
export const AcceptInvitationMutation = gql<
  { acceptInvitation: SignInResult },
  { token: string; password: string }
>(
  `mutation DashboardAcceptInvitation($token: String!, $password: String!) {
    acceptInvitation(token: $token, password: $password) { viewer { ${VIEWER_FIELDS} } ${ERRORS} }
  }`,
);
export const SignOutMutation = gql<{ signOut: boolean }, { everywhere: boolean }>(
  `mutation DashboardSignOut($everywhere: Boolean!) { signOut(everywhere: $everywhere) }`,
);

// Home.
export const PaymentStatsQuery = gql<
  { paymentStats: PaymentStats },
  { from: number; to: number; timeZone: string }
>(
  `query DashboardPaymentStats($from: SafeInt!, $to: SafeInt!, $timeZone: String!) {
    paymentStats(from: $from, to: $to, granularity: DAY, timeZone: $timeZone) {
      from to
      buckets { start count succeeded failed volume { currency amount } }
      totals { count succeeded failed successRate volume { currency amount } }
      declines { code count }
    }
  }`,
);

// Payments.
export const PaymentsQuery = gql<
  { payments: Connection<PaymentRow> },
  { filter: PaymentFilter | null; after: string | null; first: number }
>(
  `query DashboardPayments($filter: PaymentFilter, $after: String, $first: Int!) {
    payments(filter: $filter, after: $after, first: $first) {
      edges { cursor node { ${ROW_FIELDS} } }
      pageInfo { hasNextPage endCursor }
    }
  }`,
);
export const PaymentChangesSubscription = gql<{ paymentStatusChanged: PaymentRow }, Record<string, never>>(
  `subscription DashboardPaymentChanges { paymentStatusChanged { ${ROW_FIELDS} } }`,
);
export const PaymentExportQuery = gql<
  { paymentExport: { csv: string; rowCount: number; truncated: boolean } },
  { filter: PaymentFilter | null }
>(
  `query DashboardPaymentExport($filter: PaymentFilter) {
    paymentExport(filter: $filter) { csv rowCount truncated }
  }`,
);
export const PaymentQuery = gql<{ payment: PaymentDetail }, { id: string }>(
  `query DashboardPayment($id: ID!) { payment(id: $id) { ${DETAIL_FIELDS} } }`,
);
type PaymentResult = { payment: PaymentDetail | null; userErrors: UserError[] };
export const CaptureMutation = gql<{ capturePayment: PaymentResult }, { id: string; amount: number | null }>(
  `mutation DashboardCapture($id: ID!, $amount: SafeInt) {
    capturePayment(id: $id, amount: $amount) { payment { ${DETAIL_FIELDS} } ${ERRORS} }
  }`,
);
export const CancelMutation = gql<{ cancelPayment: PaymentResult }, { id: string }>(
  `mutation DashboardCancel($id: ID!) { cancelPayment(id: $id) { payment { ${DETAIL_FIELDS} } ${ERRORS} } }`,
);
export const RefundMutation = gql<
  { refundPayment: PaymentResult & { refund: Refund | null } },
  { paymentId: string; amount: number | null }
>(
  `mutation DashboardRefund($paymentId: ID!, $amount: SafeInt) {
    refundPayment(paymentId: $paymentId, amount: $amount) {
      refund { id amount status reason failureReason createdAt }
      payment { ${DETAIL_FIELDS} }
      ${ERRORS}
    }
  }`,
);

// Webhooks.
export const WebhookEndpointsQuery = gql<{ webhookEndpoints: WebhookEndpoint[] }, Record<string, never>>(
  `query DashboardWebhookEndpoints { webhookEndpoints { ${ENDPOINT_FIELDS} } }`,
);
export const WebhookDeliveriesQuery = gql<
  { webhookDeliveries: Connection<WebhookDelivery> },
  { endpointId: string | null; first: number }
>(
  `query DashboardWebhookDeliveries($endpointId: ID, $first: Int!) {
    webhookDeliveries(endpointId: $endpointId, first: $first) {
      edges { cursor node { ${DELIVERY_FIELDS} } }
      pageInfo { hasNextPage endCursor }
    }
  }`,
);
type EndpointResult = {
  webhookEndpoint: WebhookEndpoint | null;
  secret: string | null;
  userErrors: UserError[];
};
export interface WebhookEndpointInput {
  url?: string;
  description?: string;
  disabled?: boolean;
}
export const CreateEndpointMutation = gql<
  { createWebhookEndpoint: EndpointResult },
  { input: WebhookEndpointInput }
>(
  `mutation DashboardCreateEndpoint($input: WebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) { webhookEndpoint { ${ENDPOINT_FIELDS} } secret ${ERRORS} }
  }`,
);
export const UpdateEndpointMutation = gql<
  { updateWebhookEndpoint: EndpointResult },
  { id: string; input: WebhookEndpointInput }
>(
  `mutation DashboardUpdateEndpoint($id: ID!, $input: WebhookEndpointInput!) {
    updateWebhookEndpoint(id: $id, input: $input) { webhookEndpoint { ${ENDPOINT_FIELDS} } ${ERRORS} }
  }`,
);
export const RotateEndpointSecretMutation = gql<
  { rotateWebhookEndpointSecret: EndpointResult },
  { id: string }
>(
  `mutation DashboardRotateEndpointSecret($id: ID!) {
    rotateWebhookEndpointSecret(id: $id) { webhookEndpoint { ${ENDPOINT_FIELDS} } secret ${ERRORS} }
  }`,
);
export const DeleteEndpointMutation = gql<
  { deleteWebhookEndpoint: { deletedId: string | null; userErrors: UserError[] } },
  { id: string }
>(`mutation DashboardDeleteEndpoint($id: ID!) { deleteWebhookEndpoint(id: $id) { deletedId ${ERRORS} } }`);
type DeliveryResult = { delivery: WebhookDelivery | null; userErrors: UserError[] };
export const RedeliverMutation = gql<{ redeliverWebhookDelivery: DeliveryResult }, { id: string }>(
  `mutation DashboardRedeliver($id: ID!) {
    redeliverWebhookDelivery(id: $id) { delivery { ${DELIVERY_FIELDS} } ${ERRORS} }
  }`,
);
export const SendTestEventMutation = gql<{ sendTestWebhookEvent: DeliveryResult }, { endpointId: string }>(
  `mutation DashboardSendTestEvent($endpointId: ID!) {
    sendTestWebhookEvent(endpointId: $endpointId) { delivery { ${DELIVERY_FIELDS} } ${ERRORS} }
  }`,
);

// Developers.
export const ApiKeysQuery = gql<{ apiKeys: ApiKey[] }, Record<string, never>>(
  `query DashboardApiKeys { apiKeys { ${KEY_FIELDS} } }`,
);
type KeyResult = { apiKey: ApiKey | null; secret: string | null; userErrors: UserError[] };
export const CreateApiKeyMutation = gql<{ createApiKey: KeyResult }, { type: ApiKey['type'] }>(
  `mutation DashboardCreateApiKey($type: ApiKeyType!) {
    createApiKey(type: $type) { apiKey { ${KEY_FIELDS} } secret ${ERRORS} }
  }`,
);
export const RollApiKeyMutation = gql<{ rollApiKey: KeyResult }, { id: string; expiresInSeconds: number }>(
  `mutation DashboardRollApiKey($id: ID!, $expiresInSeconds: Int!) {
    rollApiKey(id: $id, expiresInSeconds: $expiresInSeconds) { apiKey { ${KEY_FIELDS} } secret ${ERRORS} }
  }`,
);
export const RevokeApiKeyMutation = gql<{ revokeApiKey: KeyResult }, { id: string }>(
  `mutation DashboardRevokeApiKey($id: ID!) { revokeApiKey(id: $id) { apiKey { ${KEY_FIELDS} } ${ERRORS} } }`,
);
export const EventsQuery = gql<{ events: Connection<TillEvent> }, { first: number }>(
  `query DashboardEvents($first: Int!) {
    events(first: $first) { edges { cursor node { id type createdAt } } pageInfo { hasNextPage endCursor } }
  }`,
);
export const AuditLogQuery = gql<{ auditLog: Connection<AuditEntry> }, { first: number }>(
  `query DashboardAuditLog($first: Int!) {
    auditLog(first: $first) {
      edges { cursor node { id action actorType actorId objectType objectId createdAt } }
      pageInfo { hasNextPage endCursor }
    }
  }`,
);

// Team.
export const TeamQuery = gql<{ teamMembers: TeamMember[]; invitations: Invitation[] }, Record<string, never>>(
  `query DashboardTeam {
    teamMembers { id email role status createdAt lastSignInAt }
    invitations { id email role createdAt expiresAt }
  }`,
);
export const InviteMutation = gql<
  { inviteTeamMember: { invitation: Invitation | null; url: string | null; userErrors: UserError[] } },
  { email: string; role: Role }
>(
  `mutation DashboardInvite($email: String!, $role: Role!) {
    inviteTeamMember(email: $email, role: $role) {
      invitation { id email role createdAt expiresAt } url ${ERRORS}
    }
  }`,
);
type MemberResult = { member: TeamMember | null; userErrors: UserError[] };
export const UpdateRoleMutation = gql<{ updateTeamMemberRole: MemberResult }, { id: string; role: Role }>(
  `mutation DashboardUpdateRole($id: ID!, $role: Role!) {
    updateTeamMemberRole(id: $id, role: $role) { member { id email role status createdAt lastSignInAt } ${ERRORS} }
  }`,
);
export const RemoveMemberMutation = gql<{ removeTeamMember: MemberResult }, { id: string }>(
  `mutation DashboardRemoveMember($id: ID!) {
    removeTeamMember(id: $id) { member { id email role status createdAt lastSignInAt } ${ERRORS} }
  }`,
);
export const RevokeInvitationMutation = gql<
  { revokeInvitation: { invitation: Invitation | null; userErrors: UserError[] } },
  { id: string }
>(
  `mutation DashboardRevokeInvitation($id: ID!) {
    revokeInvitation(id: $id) { invitation { id email role createdAt expiresAt } ${ERRORS} }
  }`,
);
