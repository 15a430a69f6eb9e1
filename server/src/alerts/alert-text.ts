import type { Alert, AlertKind } from './tenant-alerts.js';

const TEXT: Record<'ja' | 'en', Record<AlertKind, (a: Alert) => string>> = {
  ja: {
    terminal_offline: (a) => `端末 ${a.terminalId} が応答していません（${a.since ?? '不明'} から）。`,
    taps_waiting: (a) => `端末 ${a.terminalId} に未送信のタッチが ${a.count} 件あります（${a.since ?? ''} から）。`,
    terminal_disk: (a) => `端末 ${a.terminalId} の記憶領域が残りわずかです。`,
    records_refused: (a) => `CCUS に登録を拒否された就業履歴が ${a.count} 件あります。`,
    records_held: (a) => `保留中の就業履歴が ${a.count} 件あります。`,
    deadline_near: (a) => `7日以内に期限を迎える就業履歴が ${a.count} 件あります。`,
    unknown_cards: (a) => `未登録のカードが ${a.count} 枚タッチされました。`,
  },
  en: {
    terminal_offline: (a) => `Terminal ${a.terminalId} is not answering (since ${a.since ?? 'unknown'}).`,
    taps_waiting: (a) => `Terminal ${a.terminalId} has ${a.count} taps waiting to be sent (since ${a.since ?? ''}).`,
    terminal_disk: (a) => `Terminal ${a.terminalId} is nearly out of storage.`,
    records_refused: (a) => `${a.count} work records were refused by CCUS.`,
    records_held: (a) => `${a.count} work records are held.`,
    deadline_near: (a) => `${a.count} work records reach their CCUS deadline within 7 days.`,
    unknown_cards: (a) => `${a.count} unknown cards were tapped.`,
  },
};

/** An alert as a person reads it, in ja or en. */
export function alertText(alert: Alert, lang: 'ja' | 'en'): string {
  return TEXT[lang][alert.kind](alert);
}

export function alertSubject(alert: Alert, lang: 'ja' | 'en'): string {
  const mark = alert.severity === 'bad' ? '[!]' : '[i]';
  return `${mark} CCUS Gate: ${alertText(alert, lang)}`;
}
