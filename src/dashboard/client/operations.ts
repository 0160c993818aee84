/**
 * The dashboard's GraphQL operations (written in operations.graphql, typed by `npm run codegen`
 * from the checked-in schema) under the names the screens use, and the shapes they read.
 */
import type {
  DashboardApiKeyFragment,
  DashboardAuditLogQuery,
  DashboardDeliveryFragment,
  DashboardEndpointFragment,
  DashboardInvitationFragment,
  DashboardMemberFragment,
  DashboardPaymentDetailFragment,
  DashboardPaymentRowFragment,
  DashboardPaymentStatsQuery,
  DashboardRefundFragment,
  DashboardUserErrorFragment,
  DashboardViewerFieldsFragment,
  PaymentStatus,
  Role,
} from './__generated__/graphql.js';

export {
  DashboardAcceptInvitationDocument as AcceptInvitationMutation,
  DashboardApiKeysDocument as ApiKeysQuery,
  DashboardAuditLogDocument as AuditLogQuery,
  DashboardCancelDocument as CancelMutation,
  DashboardCaptureDocument as CaptureMutation,
  DashboardCreateApiKeyDocument as CreateApiKeyMutation,
  DashboardCreateEndpointDocument as CreateEndpointMutation,
  DashboardDeleteEndpointDocument as DeleteEndpointMutation,
  DashboardEventsDocument as EventsQuery,
  DashboardInviteDocument as InviteMutation,
  DashboardPaymentChangesDocument as PaymentChangesSubscription,
  DashboardPaymentDocument as PaymentQuery,
  DashboardPaymentExportDocument as PaymentExportQuery,
  DashboardPaymentStatsDocument as PaymentStatsQuery,
  DashboardPaymentsDocument as PaymentsQuery,
  DashboardRedeliverDocument as RedeliverMutation,
  DashboardRefundDocument as RefundMutation,
  DashboardRemoveMemberDocument as RemoveMemberMutation,
  DashboardRevokeApiKeyDocument as RevokeApiKeyMutation,
  DashboardRevokeInvitationDocument as RevokeInvitationMutation,
  DashboardRollApiKeyDocument as RollApiKeyMutation,
  DashboardRotateEndpointSecretDocument as RotateEndpointSecretMutation,
  DashboardSendTestEventDocument as SendTestEventMutation,
  DashboardSignInDocument as SignInMutation,
  DashboardSignOutDocument as SignOutMutation,
  DashboardTeamDocument as TeamQuery,
  DashboardUpdateEndpointDocument as UpdateEndpointMutation,
  DashboardUpdateRoleDocument as UpdateRoleMutation,
  DashboardViewerDocument as ViewerQuery,
  DashboardWebhookDeliveriesDocument as WebhookDeliveriesQuery,
  DashboardWebhookEndpointsDocument as WebhookEndpointsQuery,
} from './__generated__/graphql.js';
export type { PaymentFilter, PaymentStatus, Role, WebhookEndpointInput } from './__generated__/graphql.js';

export type Viewer = DashboardViewerFieldsFragment;
export type TeamMember = DashboardMemberFragment;
export type Invitation = DashboardInvitationFragment;
export type UserError = DashboardUserErrorFragment;
export type PaymentRow = DashboardPaymentRowFragment;
export type PaymentDetail = DashboardPaymentDetailFragment;
export type Refund = DashboardRefundFragment;
export type WebhookDelivery = DashboardDeliveryFragment;
export type WebhookEndpoint = DashboardEndpointFragment;
export type ApiKey = DashboardApiKeyFragment;
export type AuditEntry = DashboardAuditLogQuery['auditLog']['edges'][number]['node'];
export type PaymentStats = DashboardPaymentStatsQuery['paymentStats'];

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
