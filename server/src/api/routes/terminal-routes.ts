import type { CommandName } from '@ccus-gate/protocol';
import type { TerminalView } from '../../store/directory-store.js';
import { accepted, body, define, ok, type Page, type RouteKit, router } from '../route-kit.js';
import * as S from '../schemas.js';

/** Terminals as their tenant sees them: status, settings, commands. */
export function terminalRoutes(kit: RouteKit) {
  const { scopeOf, actorOf, pageJson, slice, effects } = kit;
  const { directory, corrections } = kit.store;

  return router()
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/terminals',
        tags: ['terminals'],
        request: { query: S.ListPaging },
        responses: ok<Page<'terminals', TerminalView>>('terminals leased to the tenant'),
      }),
      async (c) => pageJson(c, 'terminals', async (paging) => slice(await directory.terminals(scopeOf(c)), paging)),
    )
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/terminals/{terminalId}',
        tags: ['terminals'],
        request: { params: S.TerminalParam },
        responses: ok<{ terminal: TerminalView }>('the terminal and its last status'),
      }),
      async (c) => c.json({ terminal: await directory.terminalView(scopeOf(c), c.req.valid('param').terminalId) }, 200),
    )
    .openapi(
      define('admin', {
        method: 'put',
        path: '/api/v1/terminals/{terminalId}/settings',
        tags: ['terminals'],
        request: { params: S.TerminalParam, ...body('how the terminal behaves at the gate', S.TerminalSettingsBody) },
        responses: ok<{ terminal: TerminalView }>('the terminal'),
      }),
      async (c) => {
        const { terminalId } = c.req.valid('param');
        const input = c.req.valid('json');
        const scope = scopeOf(c);
        const before = (await directory.terminalView(scope, terminalId)).settings;
        await directory.setTerminalSettings(scope, terminalId, input);
        await corrections.note(actorOf(c), 'terminal_settings', `terminal ${terminalId}`, before, input);
        effects.configChanged([terminalId]);
        return c.json({ terminal: await directory.terminalView(scope, terminalId) }, 200);
      },
    )
    .openapi(
      define('admin', {
        method: 'post',
        path: '/api/v1/terminals/{terminalId}/commands',
        tags: ['terminals'],
        request: { params: S.TerminalParam, ...body('a command for the terminal', S.CommandBody) },
        responses: accepted<{ id: string; command: CommandName }>("sent; the result comes in the terminal's status"),
      }),
      async (c) => {
        const { terminalId } = c.req.valid('param');
        const { command } = c.req.valid('json');
        await directory.terminalView(scopeOf(c), terminalId);
        return c.json({ id: effects.sendCommand(terminalId, command), command }, 202);
      },
    );
}
