import { en } from './messages-en.js';
import { ja } from './messages-ja.js';

/** The dashboard's languages: Japanese (the default for a Japanese browser) and English. */
export type Lang = 'ja' | 'en';
export const LANGS: readonly Lang[] = ['ja', 'en'];

/** Every word the dashboard shows, typed from the Japanese (messages-ja.ts); English has each key too. */
export type Messages = typeof ja;

export const MESSAGES: Record<Lang, Messages> = { ja, en };

/** Whether a string names one of the dashboard's languages. */
export function isLang(value: string | undefined): value is Lang {
  return value === 'ja' || value === 'en';
}
