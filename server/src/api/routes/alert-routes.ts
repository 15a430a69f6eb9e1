import { z } from '@hono/zod-openapi';
import type { AlertSubscription, AlertSubscriptionStore } from '../../alerts/alert-subscriptions.js';
import { ALERT_KINDS } from '../../alerts/tenant-alerts.js';
import { StoreError } from '../../store/store-error.js';
import { type Answer, body, created, define, ok, type RouteKit, router } from '../route-kit.js';
import * as S from '../schemas.js';

const SubscriptionBody = z
  .strictObject({
    channel: z.enum(['email', 'webhook']),
    target: z
      .string()
      .min(3)
      .max(500)
      .openapi({ description: 'an e-mail address, or the https:// URL of the webhook' }),
    kinds: z
      .array(z.enum(ALERT_KINDS))
      .min(1)
      .max(ALERT_KINDS.length)
      .default([...ALERT_KINDS]),
    lang: z.enum(['ja', 'en']).default('ja'),
  })
  .superRefine((input, ctx) => {
    if (input.channel === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(input.target)) {
      ctx.addIssue({ code: 'custom', path: ['target'], message: 'must be an e-mail address' });
    }
    if (input.channel === 'webhook') {
      let url: URL | null = null;
      try {
        url = new URL(input.target);
      } catch {
        url = null;
      }
      if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
        ctx.addIssue({ code: 'custom', path: ['target'], message: 'must be an http(s) URL' });
      }
    }
  })
  .openapi('AlertSubscription');

/**
 * Who gets which alerts (alerts/): anyone signed in subscribes an e-mail address and chooses the
 * kinds; admins add signed webhooks and remove anyone's subscription.
 */
export function alertRoutes(kit: RouteKit) {
  const { scopeOf, actorOf } = kit;
  const { alertSubscriptions, corrections } = kit.store;
  return router()
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/alert-subscriptions',
        tags: ['alerts'],
        responses: ok<{
          subscriptions: AlertSubscription[];
          deliveries: Answer<AlertSubscriptionStore['deliveries']>;
        }>("the tenant's alert subscriptions (never a webhook's secret) and recent deliveries"),
      }),
      async (c) => {
        const scope = scopeOf(c);
        return c.json(
          {
            subscriptions: await alertSubscriptions.subscriptions(scope),
            deliveries: await alertSubscriptions.deliveries(scope, 50),
          },
          200,
        );
      },
    )
    .openapi(
      define('viewer', {
        method: 'post',
        path: '/api/v1/alert-subscriptions',
        tags: ['alerts'],
        request: body('where alerts go, which kinds, in which language', SubscriptionBody),
        responses: created<Answer<AlertSubscriptionStore['subscribe']>>(
          "the subscription; a webhook's signing secret is in this answer only",
        ),
      }),
      async (c) => {
        const input = c.req.valid('json');
        if (input.channel === 'webhook' && c.get('caller').role !== 'admin') {
          throw new StoreError('forbidden', 'only an admin adds a webhook', 'channel');
        }
        const made = await alertSubscriptions.subscribe(actorOf(c), input);
        await corrections.note(actorOf(c), 'subscribe_alerts', `${input.channel} ${input.target}`, null, {
          kinds: input.kinds,
        });
        return c.json(made, 201);
      },
    )
    .openapi(
      define('viewer', {
        method: 'delete',
        path: '/api/v1/alert-subscriptions/{id}',
        tags: ['alerts'],
        request: { params: S.IdParam },
        responses: ok<{ subscription: AlertSubscription }>('the subscription, removed with its deliveries'),
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const scope = scopeOf(c);
        const caller = c.get('caller');
        const mine = (await alertSubscriptions.subscriptions(scope)).find((s) => s.id === id);
        if (mine !== undefined && caller.role !== 'admin' && mine.createdBy !== caller.label) {
          throw new StoreError('forbidden', "only an admin removes another's subscription", 'id');
        }
        const removed = await alertSubscriptions.unsubscribe(scope, id);
        await corrections.note(actorOf(c), 'unsubscribe_alerts', `${removed.channel} ${removed.target}`, removed, null);
        return c.json({ subscription: removed }, 200);
      },
    );
}
