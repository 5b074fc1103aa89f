/**
 * The HTTP guard: an onRequest hook that checks every `/api/` request against the permission
 * table before its body is even read. Order of refusals: a route missing from the table and
 * declaring no rule of its own (`forbidden`, logged: fail closed), a state-changing request from a foreign Origin
 * (`forbidden`), no or bad credentials (`unauthorized`), a session cookie without the matching
 * `x-csrf-token` on a state-changing request (`forbidden`), a role the rule does not allow
 * (`forbidden`), then for sitting-scoped routes: no such sitting (`not_found`), a host who does
 * not run it (`forbidden`), a participant it does not admit (see AccessService.admit).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors';
import type { AccessService } from './access-service';
import { isStateChanging, ruleFor, type RouteRule } from './http-permissions';
import { accessRole, type Principal } from './principal';
import { manages, sittingAccessInfo, type SittingAccessInfo } from './sitting-owners';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The rule of a route outside the permission table (test fixtures). Production routes belong
     * in the table: the matrix test fails for any that is missing.
     */
    access?: RouteRule;
  }
  interface FastifyRequest {
    /** Who is calling (set by the access guard on `/api/` routes). */
    principal: Principal;
    /** The sitting a sitting-scoped route is about (set by the access guard). */
    sittingAccess: SittingAccessInfo | undefined;
  }
}

/** Header carrying the CSRF token on state-changing requests made with a session cookie. */
export const CSRF_HEADER = 'x-csrf-token';

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Builds the guard for an access service and the allowed browser origins. */
export function accessGuard(access: AccessService, allowedOrigins: readonly string[]) {
  const origins = new Set(allowedOrigins);
  return async function guard(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
    req.principal = { kind: 'anonymous' };
    req.sittingAccess = undefined;
    const url = req.routeOptions.url;
    if (url === undefined || !url.startsWith('/api/')) return;
    const rule = ruleFor(req.method, url) ?? req.routeOptions.config.access;
    if (!rule) {
      req.log.error({ method: req.method, url }, 'route missing from the HTTP permission table: refused');
      throw new AppError('forbidden', 'this route has no access rule');
    }
    const changing = isStateChanging(req.method);
    const origin = req.headers.origin;
    if (changing && origin !== undefined && !origins.has(origin)) {
      throw new AppError('forbidden', 'cross-origin request refused');
    }
    const sittingId = rule.sittingParam
      ? (req.params as Record<string, string | undefined>)[rule.sittingParam]
      : undefined;

    if (rule.allow.includes('anonymous')) {
      // Open routes: credentials are optional, and bad ones do not block them.
      req.principal = await access
        .principal(req.headers, sittingId)
        .catch((): Principal => ({ kind: 'anonymous' }));
      return;
    }
    const principal = await access.principal(req.headers, sittingId);
    req.principal = principal;
    if (principal.kind === 'anonymous') throw new AppError('unauthorized', 'sign in first');
    if (principal.kind === 'staff' && changing) {
      const given = req.headers[CSRF_HEADER];
      if (typeof given !== 'string' || !same(given, principal.session.csrfToken)) {
        throw new AppError('forbidden', `missing or wrong ${CSRF_HEADER} header`);
      }
    }
    const role = accessRole(principal);
    if (!rule.allow.includes(role)) throw new AppError('forbidden', `a ${role} may not ${req.method} ${url}`);
    if (sittingId === undefined) return;

    const sitting = await sittingAccessInfo(access.db, sittingId);
    if (!sitting) throw new AppError('not_found', 'no such sitting');
    if (principal.kind === 'staff' && !manages(principal.session.user, sitting)) {
      throw new AppError('forbidden', 'this sitting is run by another host');
    }
    if (principal.kind === 'participant') await access.admit(sitting, principal.identity);
    req.sittingAccess = sitting;
  };
}
