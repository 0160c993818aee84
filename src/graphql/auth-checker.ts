import { GraphQLError } from 'graphql';
import type { AuthCheckerFn } from 'type-graphql';
import { can, type Permission } from '../services/permissions.js';
import type { Principal } from '../services/principal.js';
import type { GraphQLContext } from './context.js';
import { unauthenticated } from './errors.js';

export const forbidden = (permission: string) =>
  new GraphQLError(`Your role does not allow this (it needs the ${permission} permission).`, {
    extensions: { code: 'FORBIDDEN', http: { status: 403 }, permission },
  });

/**
 * The caller, once it is known to hold every one of `permissions`: an anonymous caller is refused as
 * UNAUTHENTICATED, one whose role lacks a permission as FORBIDDEN — whatever a client shows or hides.
 */
export function authorize(
  ctx: Pick<GraphQLContext, 'principal'>,
  ...permissions: readonly Permission[]
): Principal {
  const principal = ctx.principal;
  if (!principal) throw unauthenticated();
  for (const permission of permissions) if (!can(principal, permission)) throw forbidden(permission);
  return principal;
}

/** `@Authorized('payments:write')` on a field: the caller must hold that permission. */
export const authChecker: AuthCheckerFn<GraphQLContext, Permission> = ({ context }, permissions) => {
  authorize(context, ...permissions);
  return true;
};
