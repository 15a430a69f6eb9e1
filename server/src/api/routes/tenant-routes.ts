import type { SiteId } from '@ccus-gate/protocol';
import type { z } from '@hono/zod-openapi';
import { hashPassword } from '../../credentials.js';
import { json, type RouteKit } from '../route-kit.js';
import * as S from '../schemas.js';

/** A tenant's own account: API tokens, dashboard users, sites and their structure (施工体制). */
export function tenantRoutes(kit: RouteKit): void {
  const { route, scopeOf, actorOf, body, ok, created, valid, pageJson, slice, addUser, effects } = kit;
  const { directory, corrections } = kit.store;

  route(
    'admin:company',
    {
      method: 'post',
      path: '/api/v1/tokens',
      tags: ['tenant'],
      request: body('role and label', S.TokenBody),
      responses: created('the token, shown once'),
    },
    async (c) => {
      const input = valid<z.infer<typeof S.TokenBody>>(c, 'json');
      const token = await directory.createApiToken(scopeOf(c).tenantId, input.role, input.label);
      await corrections.note(actorOf(c), 'create_token', `token ${input.label}`, null, input);
      return json(c, { token, ...input }, 201);
    },
  );

  route(
    'admin:company',
    {
      method: 'post',
      path: '/api/v1/users',
      tags: ['tenant'],
      request: body(
        'a person who signs in to the dashboard, limited to some sites if `sites` is given',
        S.TenantUserBody,
      ),
      responses: created('the user (never the password)'),
    },
    async (c) => {
      const { sites, ...input } = valid<z.infer<typeof S.TenantUserBody>>(c, 'json');
      const scope = scopeOf(c);
      // Every site named first: a user is never created with more reach than asked for.
      for (const siteId of sites ?? []) await directory.site(scope, siteId);
      const user = await addUser(c, scope.tenantId, input);
      if (sites === undefined) return json(c, { user }, 201);
      await directory.limitUserToSites(scope, user.userId, sites);
      await corrections.note(actorOf(c), 'limit_user_sites', `user ${user.userId}`, null, { sites });
      return json(c, { user: { ...user, sites: [...new Set(sites)].sort() } }, 201);
    },
  );

  route(
    'admin:company',
    {
      method: 'get',
      path: '/api/v1/users',
      tags: ['tenant'],
      request: { query: S.ListPaging },
      responses: ok("the tenant's dashboard users"),
    },
    async (c) => pageJson(c, 'users', async (paging) => slice(await directory.users(scopeOf(c).tenantId), paging)),
  );

  route(
    'admin:company',
    {
      method: 'put',
      path: '/api/v1/users/{userId}/password',
      tags: ['tenant'],
      request: { params: S.UserParam, ...body("the user's new password", S.PasswordBody) },
      responses: ok("set; the user's sessions end at once"),
    },
    async (c) => {
      const { userId } = valid<{ userId: string }>(c, 'param');
      const { password } = valid<z.infer<typeof S.PasswordBody>>(c, 'json');
      await directory.setPassword(scopeOf(c).tenantId, userId, await hashPassword(password));
      // Who reset whose password, never the password.
      await corrections.note(actorOf(c), 'reset_password', `user ${userId}`, null, { userId });
      return json(c, { userId });
    },
  );

  route(
    'admin:company',
    {
      method: 'delete',
      path: '/api/v1/users/{userId}/two-factor',
      tags: ['tenant'],
      request: { params: S.UserParam },
      responses: ok('two-factor sign-in cleared (a lost phone): the password alone signs in until it is set up again'),
    },
    async (c) => {
      const { userId } = valid<{ userId: string }>(c, 'param');
      await directory.setTotp(scopeOf(c).tenantId, userId, null);
      await corrections.note(actorOf(c), 'clear_two_factor', `user ${userId}`, null, { userId });
      return json(c, { userId });
    },
  );

  route(
    'admin:company',
    {
      method: 'put',
      path: '/api/v1/users/{userId}/sites',
      tags: ['tenant'],
      request: {
        params: S.UserParam,
        ...body('the only sites the user may see and change; null: every site', S.UserSitesBody),
      },
      responses: ok('the user as now limited'),
    },
    async (c) => {
      const { userId } = valid<{ userId: string }>(c, 'param');
      const { sites } = valid<z.infer<typeof S.UserSitesBody>>(c, 'json');
      await directory.limitUserToSites(scopeOf(c), userId, sites);
      await corrections.note(actorOf(c), 'limit_user_sites', `user ${userId}`, null, { sites });
      const user = (await directory.users(scopeOf(c).tenantId)).find((u) => u.userId === userId);
      return json(c, { user });
    },
  );

  route(
    'admin:company',
    {
      method: 'delete',
      path: '/api/v1/users/{userId}',
      tags: ['tenant'],
      request: { params: S.UserParam },
      responses: ok('removed; its sessions end at once'),
    },
    async (c) => {
      const { userId } = valid<{ userId: string }>(c, 'param');
      await directory.removeUser(scopeOf(c).tenantId, userId);
      await corrections.note(actorOf(c), 'remove_user', `user ${userId}`, { userId }, null);
      return json(c, { removed: userId });
    },
  );

  route(
    'admin:company',
    {
      method: 'get',
      path: '/api/v1/tokens',
      tags: ['tenant'],
      request: { query: S.ListPaging },
      responses: ok("the tenant's tokens: id, role, label, created; never the secrets"),
    },
    async (c) => pageJson(c, 'tokens', async (paging) => slice(await directory.tokens(scopeOf(c).tenantId), paging)),
  );

  route(
    'admin:company',
    {
      method: 'delete',
      path: '/api/v1/tokens/{id}',
      tags: ['tenant'],
      request: { params: S.TokenParam },
      responses: ok('revoked; it stops working at once'),
    },
    async (c) => {
      const { id } = valid<{ id: string }>(c, 'param');
      await directory.revokeToken(scopeOf(c).tenantId, id);
      await corrections.note(actorOf(c), 'revoke_token', `token ${id}`, null, null);
      return json(c, { revoked: id });
    },
  );

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/sites',
      tags: ['sites'],
      request: { query: S.ListPaging },
      responses: ok('sites the tenant sees, as prime or subcontractor'),
    },
    async (c) => pageJson(c, 'sites', async (paging) => slice(await directory.sites(scopeOf(c)), paging)),
  );

  route(
    'admin:company',
    {
      method: 'post',
      path: '/api/v1/sites',
      tags: ['sites'],
      request: body('a site the tenant is prime contractor of', S.SiteBody),
      responses: created('the site'),
    },
    async (c) => {
      const input = valid<z.infer<typeof S.SiteBody>>(c, 'json');
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
      return json(c, { site: await directory.site(scope, input.siteId) }, 201);
    },
  );

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/sites/{siteId}',
      tags: ['sites'],
      request: { params: S.SiteParam },
      responses: ok('the site'),
    },
    async (c) => json(c, { site: await directory.site(scopeOf(c), valid<{ siteId: string }>(c, 'param').siteId) }),
  );

  route(
    'admin',
    {
      method: 'patch',
      path: '/api/v1/sites/{siteId}',
      tags: ['sites'],
      request: { params: S.SiteParam, ...body('what changes', S.SitePatch) },
      responses: ok('the site'),
    },
    async (c) => {
      const { siteId } = valid<{ siteId: string }>(c, 'param');
      const input = valid<z.infer<typeof S.SitePatch>>(c, 'json');
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
      return json(c, { site: await directory.site(scope, siteId) });
    },
  );

  route(
    'admin',
    {
      method: 'put',
      path: '/api/v1/sites/{siteId}/companies/{companyId}',
      tags: ['sites'],
      request: { params: S.SiteCompanyParam, ...body('the company and its place in the structure', S.SiteCompanyBody) },
      responses: ok('the site'),
    },
    async (c) => {
      const { siteId, companyId } = valid<{ siteId: string; companyId: string }>(c, 'param');
      const input = valid<z.infer<typeof S.SiteCompanyBody>>(c, 'json');
      await directory.putSiteCompany(scopeOf(c), siteId, { companyId, ...input });
      await corrections.note(actorOf(c), 'put_site_company', `site ${siteId}`, null, { companyId, ...input });
      return json(c, { site: await directory.site(scopeOf(c), siteId) });
    },
  );

  route(
    'admin',
    {
      method: 'delete',
      path: '/api/v1/sites/{siteId}/companies/{companyId}',
      tags: ['sites'],
      request: { params: S.SiteCompanyParam },
      responses: ok('the site'),
    },
    async (c) => {
      const { siteId, companyId } = valid<{ siteId: string; companyId: string }>(c, 'param');
      await directory.removeSiteCompany(scopeOf(c), siteId, companyId);
      await corrections.note(actorOf(c), 'remove_site_company', `site ${siteId}`, { companyId }, null);
      return json(c, { site: await directory.site(scopeOf(c), siteId) });
    },
  );
}
