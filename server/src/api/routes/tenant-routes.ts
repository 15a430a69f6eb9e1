import type { SiteId } from '@ccus-gate/protocol';
import { hashPassword } from '../../credentials.js';
import type { ApiTokenInfo, Site, User } from '../../store/directory-store.js';
import { body, created, define, type NewToken, ok, type Page, type RouteKit, router } from '../route-kit.js';
import * as S from '../schemas.js';

/** A tenant's own account: API tokens, dashboard users, sites and their structure (施工体制). */
export function tenantRoutes(kit: RouteKit) {
  const { scopeOf, actorOf, pageJson, slice, addUser, effects } = kit;
  const { directory, corrections } = kit.store;
  return router()
    .openapi(
      define('admin:company', {
        method: 'post',
        path: '/api/v1/tokens',
        tags: ['tenant'],
        request: body('role and label', S.TokenBody),
        responses: created<NewToken>('the token, shown once'),
      }),
      async (c) => {
        const input = c.req.valid('json');
        const token = await directory.createApiToken(scopeOf(c).tenantId, input.role, input.label);
        await corrections.note(actorOf(c), 'create_token', `token ${input.label}`, null, input);
        return c.json({ token, ...input }, 201);
      },
    )
    .openapi(
      define('admin:company', {
        method: 'post',
        path: '/api/v1/users',
        tags: ['tenant'],
        request: body(
          'a person who signs in to the dashboard, limited to some sites if `sites` is given',
          S.TenantUserBody,
        ),
        responses: created<{ user: User }>('the user (never the password)'),
      }),
      async (c) => {
        const { sites, ...input } = c.req.valid('json');
        const scope = scopeOf(c);
        // Every site named first: a user is never created with more reach than asked for.
        for (const siteId of sites ?? []) await directory.site(scope, siteId);
        const user = await addUser(c, scope.tenantId, input);
        if (sites === undefined) return c.json({ user }, 201);
        await directory.limitUserToSites(scope, user.userId, sites);
        await corrections.note(actorOf(c), 'limit_user_sites', `user ${user.userId}`, null, { sites });
        return c.json({ user: { ...user, sites: [...new Set(sites)].sort() } }, 201);
      },
    )
    .openapi(
      define('admin:company', {
        method: 'get',
        path: '/api/v1/users',
        tags: ['tenant'],
        request: { query: S.ListPaging },
        responses: ok<Page<'users', User>>("the tenant's dashboard users"),
      }),
      async (c) => pageJson(c, 'users', async (paging) => slice(await directory.users(scopeOf(c).tenantId), paging)),
    )
    .openapi(
      define('admin:company', {
        method: 'put',
        path: '/api/v1/users/{userId}/password',
        tags: ['tenant'],
        request: { params: S.UserParam, ...body("the user's new password", S.PasswordBody) },
        responses: ok<{ userId: string }>("set; the user's sessions end at once"),
      }),
      async (c) => {
        const { userId } = c.req.valid('param');
        const { password } = c.req.valid('json');
        await directory.setPassword(scopeOf(c).tenantId, userId, await hashPassword(password));
        // Who reset whose password, never the password.
        await corrections.note(actorOf(c), 'reset_password', `user ${userId}`, null, { userId });
        return c.json({ userId }, 200);
      },
    )
    .openapi(
      define('admin:company', {
        method: 'delete',
        path: '/api/v1/users/{userId}/two-factor',
        tags: ['tenant'],
        request: { params: S.UserParam },
        responses: ok<{ userId: string }>(
          'two-factor sign-in cleared (a lost phone): the password alone signs in until it is set up again',
        ),
      }),
      async (c) => {
        const { userId } = c.req.valid('param');
        await directory.setTotp(scopeOf(c).tenantId, userId, null);
        await corrections.note(actorOf(c), 'clear_two_factor', `user ${userId}`, null, { userId });
        return c.json({ userId }, 200);
      },
    )
    .openapi(
      define('admin:company', {
        method: 'put',
        path: '/api/v1/users/{userId}/sites',
        tags: ['tenant'],
        request: {
          params: S.UserParam,
          ...body('the only sites the user may see and change; null: every site', S.UserSitesBody),
        },
        responses: ok<{ user: User | null }>('the user as now limited'),
      }),
      async (c) => {
        const { userId } = c.req.valid('param');
        const { sites } = c.req.valid('json');
        await directory.limitUserToSites(scopeOf(c), userId, sites);
        await corrections.note(actorOf(c), 'limit_user_sites', `user ${userId}`, null, { sites });
        const user = (await directory.users(scopeOf(c).tenantId)).find((u) => u.userId === userId) ?? null;
        return c.json({ user }, 200);
      },
    )
    .openapi(
      define('admin:company', {
        method: 'delete',
        path: '/api/v1/users/{userId}',
        tags: ['tenant'],
        request: { params: S.UserParam },
        responses: ok<{ removed: string }>('removed; its sessions end at once'),
      }),
      async (c) => {
        const { userId } = c.req.valid('param');
        await directory.removeUser(scopeOf(c).tenantId, userId);
        await corrections.note(actorOf(c), 'remove_user', `user ${userId}`, { userId }, null);
        return c.json({ removed: userId }, 200);
      },
    )
    .openapi(
      define('admin:company', {
        method: 'get',
        path: '/api/v1/tokens',
        tags: ['tenant'],
        request: { query: S.ListPaging },
        responses: ok<Page<'tokens', ApiTokenInfo>>("the tenant's tokens: id, role, label, created; never the secrets"),
      }),
      async (c) => pageJson(c, 'tokens', async (paging) => slice(await directory.tokens(scopeOf(c).tenantId), paging)),
    )
    .openapi(
      define('admin:company', {
        method: 'delete',
        path: '/api/v1/tokens/{id}',
        tags: ['tenant'],
        request: { params: S.TokenParam },
        responses: ok<{ revoked: string }>('revoked; it stops working at once'),
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        await directory.revokeToken(scopeOf(c).tenantId, id);
        await corrections.note(actorOf(c), 'revoke_token', `token ${id}`, null, null);
        return c.json({ revoked: id }, 200);
      },
    )
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/sites',
        tags: ['sites'],
        request: { query: S.ListPaging },
        responses: ok<Page<'sites', Site>>('sites the tenant sees, as prime or subcontractor'),
      }),
      async (c) => pageJson(c, 'sites', async (paging) => slice(await directory.sites(scopeOf(c)), paging)),
    )
    .openapi(
      define('admin:company', {
        method: 'post',
        path: '/api/v1/sites',
        tags: ['sites'],
        request: body('a site the tenant is prime contractor of', S.SiteBody),
        responses: created<{ site: Site }>('the site'),
      }),
      async (c) => {
        const input = c.req.valid('json');
        const scope = scopeOf(c);
        await directory.createSite({
          siteId: input.siteId as SiteId,
          tenantId: scope.tenantId,
          name: input.name,
          rule: { timeZone: input.timeZone, dayBoundary: input.dayBoundary },
          maxShiftHours: input.maxShiftHours,
          language: input.language,
        });
        await corrections.note(actorOf(c), 'create_site', `site ${input.siteId}`, null, input);
        return c.json({ site: await directory.site(scope, input.siteId) }, 201);
      },
    )
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/sites/{siteId}',
        tags: ['sites'],
        request: { params: S.SiteParam },
        responses: ok<{ site: Site }>('the site'),
      }),
      async (c) => c.json({ site: await directory.site(scopeOf(c), c.req.valid('param').siteId) }, 200),
    )
    .openapi(
      define('admin', {
        method: 'patch',
        path: '/api/v1/sites/{siteId}',
        tags: ['sites'],
        request: { params: S.SiteParam, ...body('what changes', S.SitePatch) },
        responses: ok<{ site: Site }>('the site'),
      }),
      async (c) => {
        const { siteId } = c.req.valid('param');
        const input = c.req.valid('json');
        const scope = scopeOf(c);
        const before = await directory.site(scope, siteId);
        const terminals = await directory.updateSite(scope, siteId, {
          ...(input.name === undefined ? {} : { name: input.name }),
          ...(input.timeZone === undefined || input.dayBoundary === undefined
            ? {}
            : { rule: { timeZone: input.timeZone, dayBoundary: input.dayBoundary } }),
          ...(input.maxShiftHours === undefined ? {} : { maxShiftHours: input.maxShiftHours }),
          ...(input.language === undefined ? {} : { language: input.language }),
        });
        await corrections.note(actorOf(c), 'update_site', `site ${siteId}`, before, input);
        effects.configChanged(terminals);
        return c.json({ site: await directory.site(scope, siteId) }, 200);
      },
    )
    .openapi(
      define('admin', {
        method: 'put',
        path: '/api/v1/sites/{siteId}/companies/{companyId}',
        tags: ['sites'],
        request: {
          params: S.SiteCompanyParam,
          ...body('the company and its place in the structure', S.SiteCompanyBody),
        },
        responses: ok<{ site: Site }>('the site'),
      }),
      async (c) => {
        const { siteId, companyId } = c.req.valid('param');
        const input = c.req.valid('json');
        await directory.putSiteCompany(scopeOf(c), siteId, { companyId, ...input });
        await corrections.note(actorOf(c), 'put_site_company', `site ${siteId}`, null, { companyId, ...input });
        return c.json({ site: await directory.site(scopeOf(c), siteId) }, 200);
      },
    )
    .openapi(
      define('admin', {
        method: 'delete',
        path: '/api/v1/sites/{siteId}/companies/{companyId}',
        tags: ['sites'],
        request: { params: S.SiteCompanyParam },
        responses: ok<{ site: Site }>('the site'),
      }),
      async (c) => {
        const { siteId, companyId } = c.req.valid('param');
        await directory.removeSiteCompany(scopeOf(c), siteId, companyId);
        await corrections.note(actorOf(c), 'remove_site_company', `site ${siteId}`, { companyId }, null);
        return c.json({ site: await directory.site(scopeOf(c), siteId) }, 200);
      },
    );
}
