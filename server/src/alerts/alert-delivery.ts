import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { DueDelivery } from './alert-subscriptions.js';
import { alertSubject, alertText } from './alert-text.js';

/** Sends one alert e-mail. */
export interface Mailer {
  send(mail: { to: string; subject: string; text: string }): Promise<void>;
}

export interface SmtpOptions {
  host: string;
  port: number;
  /** TLS from the first byte (465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  user?: string;
  password?: string;
  from: string;
}

/** Mail through an SMTP server, by nodemailer. */
export function smtpMailer(options: SmtpOptions): Mailer {
  const transport = nodemailer.createTransport({
    host: options.host,
    port: options.port,
    secure: options.secure,
    ...(options.user === undefined ? {} : { auth: { user: options.user, pass: options.password ?? '' } }),
  });
  return {
    async send(mail) {
      await transport.sendMail({ from: options.from, ...mail });
    },
  };
}

/**
 * The webhook's signature: HMAC-SHA-256, keyed by the subscription's secret, of the timestamp,
 * a dot and the body, as `t=<unix seconds>,v1=<hex>`. A receiver recomputes it and refuses a
 * timestamp far from its own clock, so a captured request cannot be replayed later.
 */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Sends one delivery by its subscription's channel; throws what went wrong. */
export async function deliver(
  delivery: DueDelivery,
  deps: { mailer: Mailer | null; now: () => Date; fetch?: typeof fetch; timeoutMs?: number },
): Promise<void> {
  const { subscription, alert } = delivery;
  const lang = subscription.lang;
  if (subscription.channel === 'email') {
    if (deps.mailer === null) throw new Error('no SMTP server is configured (alerts.smtp)');
    await deps.mailer.send({
      to: subscription.target,
      subject: alertSubject(alert, lang),
      text: `${alertText(alert, lang)}\n\n${lang === 'ja' ? 'ダッシュボードで確認してください。' : 'See the dashboard.'}\n`,
    });
    return;
  }
  const body = JSON.stringify({
    v: 1,
    delivery: delivery.id,
    key: delivery.alertKey,
    tenantId: delivery.tenantId,
    alert,
    text: alertText(alert, lang),
    sentAt: deps.now().toISOString(),
  });
  const timestamp = Math.floor(deps.now().getTime() / 1000);
  const response = await (deps.fetch ?? fetch)(subscription.target, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-ccus-gate-signature': webhookSignature(subscription.secret ?? '', timestamp, body),
      'x-ccus-gate-delivery': String(delivery.id),
    },
    body,
    redirect: 'error',
    signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
  });
  if (!response.ok) throw new Error(`the webhook answered ${response.status}`);
}
