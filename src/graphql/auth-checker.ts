import { GraphQLError } from 'graphql';
import type { AuthCheckerFn } from 'type-graphql';
import { can, type Permission } from '../services/permissions.js';
import type { GraphQLContext } from './context.js';
import { unauthenticated } from './errors.js';

export const forbidden = (permission: string) =>
  new GraphQLError(`Your role does not allow this (it needs the ${permission} permission).`, {
    extensions: { code: 'FORBIDDEN', http: { status: 403 }, permission },
  });

/**
 * `@Authorized('payments:write')` on a field: an anonymous caller is refused as UNAUTHENTICATED,
 * one whose role lacks the permission as FORBIDDEN — whatever a client shows or hides.
 */
export const authChecker: AuthCheckerFn<GraphQLContext, Permission> = ({ context }, permissions) => {
  const principal = context.principal;
  if (!principal) throw unauthenticated();
  for (const permission of permissions) if (!can(principal, permission)) throw forbidden(permission);
  return true;
};

/** The caller, once it is known to hold `permission` (for code outside a field's resolver). */
export function authorize(ctx: Pick<GraphQLContext, 'principal'>, permission: Permission) {
  authChecker({ context: ctx as GraphQLContext, root: undefined, args: {}, info: undefined as never }, [
    permission,
  ]);
  return ctx.principal!;
}
