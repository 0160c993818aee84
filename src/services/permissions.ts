import type { Principal, Role } from './principal.js';

/** What an operation needs. Every GraphQL field that reads or changes merchant data names one. */
export const PERMISSIONS = [
  'payments:read',
  'payments:write',
  'payments:export',
  'webhooks:read',
  'webhooks:write',
  'keys:read',
  'keys:write',
  'connectors:read',
  'connectors:write',
  'events:read',
  'audit:read',
  'team:read',
  'team:write',
  'team:ownership',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ALL: readonly Permission[] = PERMISSIONS;
const READ_ONLY: readonly Permission[] = PERMISSIONS.filter((p) => p.endsWith(':read'));

/**
 * The permission table, as at Stripe: the owner may do everything; an admin everything but
 * handing out or taking away ownership; a developer works with keys, webhooks and payments; an
 * analyst only reads and exports.
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  owner: ALL,
  admin: ALL.filter((p) => p !== 'team:ownership'),
  developer: [
    'payments:read',
    'payments:write',
    'payments:export',
    'webhooks:read',
    'webhooks:write',
    'keys:read',
    'keys:write',
    'connectors:read',
    'events:read',
    'audit:read',
    'team:read',
  ],
  analyst: [...READ_ONLY.filter((p) => p !== 'keys:read' && p !== 'connectors:read'), 'payments:export'],
};

/**
 * A merchant's API credentials (secret keys, access tokens) act for the merchant's backend: they may
 * do everything with its payments, webhooks, keys and acquirers, but they are no one's login, so
 * they neither see nor manage the team.
 */
const CREDENTIAL_PERMISSIONS: readonly Permission[] = ALL.filter((p) => !p.startsWith('team:'));

/** What this caller may do. */
export function permissionsOf(principal: Principal): readonly Permission[] {
  return principal.role ? ROLE_PERMISSIONS[principal.role] : CREDENTIAL_PERMISSIONS;
}

export function can(principal: Principal, permission: Permission): boolean {
  return permissionsOf(principal).includes(permission);
}
