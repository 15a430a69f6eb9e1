import type { TerminalId } from '@ccus-gate/protocol';
import type { z } from '@hono/zod-openapi';
import { json, type RouteKit } from '../route-kit.js';
import * as S from '../schemas.js';

/** Terminals as their tenant sees them: status, settings, commands. */
export function terminalRoutes(kit: RouteKit): void {
  const { route, scopeOf, actorOf, body, ok, valid, pageJson, slice, effects } = kit;
  const { directory, corrections } = kit.store;

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/terminals',
      tags: ['terminals'],
      request: { query: S.ListPaging },
      responses: ok('terminals leased to the tenant'),
    },
    async (c) => pageJson(c, 'terminals', async (paging) => slice(await directory.terminals(scopeOf(c)), paging)),
  );

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/terminals/{terminalId}',
      tags: ['terminals'],
      request: { params: S.TerminalParam },
      responses: ok('the terminal and its last status'),
    },
    async (c) =>
      json(c, {
        terminal: await directory.terminalView(scopeOf(c), valid<{ terminalId: string }>(c, 'param').terminalId),
      }),
  );

  route(
    'admin',
    {
      method: 'put',
      path: '/api/v1/terminals/{terminalId}/settings',
      tags: ['terminals'],
      request: { params: S.TerminalParam, ...body('how the terminal behaves at the gate', S.TerminalSettingsBody) },
      responses: ok('the terminal'),
    },
    async (c) => {
      const { terminalId } = valid<{ terminalId: TerminalId }>(c, 'param');
      const input = valid<z.infer<typeof S.TerminalSettingsBody>>(c, 'json');
      const scope = scopeOf(c);
      const before = (await directory.terminalView(scope, terminalId)).settings;
      await directory.setTerminalSettings(scope, terminalId, input);
      await corrections.note(actorOf(c), 'terminal_settings', `terminal ${terminalId}`, before, input);
      effects.configChanged([terminalId]);
      return json(c, { terminal: await directory.terminalView(scope, terminalId) });
    },
  );

  route(
    'admin',
    {
      method: 'post',
      path: '/api/v1/terminals/{terminalId}/commands',
      tags: ['terminals'],
      request: { params: S.TerminalParam, ...body('a command for the terminal', S.CommandBody) },
      responses: { 202: { description: "sent; the result comes in the terminal's status" } },
    },
    async (c) => {
      const { terminalId } = valid<{ terminalId: TerminalId }>(c, 'param');
      const { command } = valid<z.infer<typeof S.CommandBody>>(c, 'json');
      await directory.terminalView(scopeOf(c), terminalId);
      return json(c, { id: effects.sendCommand(terminalId, command), command }, 202);
    },
  );
}
