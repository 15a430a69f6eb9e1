import type { GateLanguage } from '@ccus-gate/protocol';

/**
 * What the display at the gate says, in the four languages of the site's workers. Every
 * line fits 16 columns and a character LCD's ROM (ASCII and half-width katakana, accents
 * dropped): Japanese is written in katakana for that reason, the words of a time clock.
 * `tests/firmware/gate-display.test.ts` keeps the catalogues in step and checks both.
 */
export interface GateMessages {
  entry: (time: string) => string;
  exit: (time: string) => string;
  /** The worker's ID as the display shows it: the last four digits only. */
  worker: (last4: string) => string;
  /** Recorded while the terminal had no link to the server: kept here, sent later. */
  storedOffline: string;
  already: string;
  unknownCard: string;
  unknownHint: string;
  refused: string;
  refusedHint: string;
  readError: string;
  readErrorHint: string;
  fault: string;
  faultHint: string;
  online: string;
  offline: string;
  waiting: (count: string) => string;
  selftest: string;
  selftestHint: string;
}

const ja: GateMessages = {
  entry: (time) => `シュッキン ${time}`,
  exit: (time) => `タイキン ${time}`,
  worker: (last4) => `ID ...${last4}`,
  storedOffline: 'オフライン ホゾン',
  already: 'キロクズミ デス',
  unknownCard: 'ミトウロク カード',
  unknownHint: 'ジムショ ヘ',
  refused: 'ゲンバ ミトウロク',
  refusedHint: 'ジムショ ヘ',
  readError: 'ヨミトリ エラー',
  readErrorHint: 'モウイチド',
  fault: 'キロク デキマセン',
  faultHint: 'ジムショ ヘ',
  online: 'オンライン',
  offline: 'オフライン',
  waiting: (count) => `ミソウシン ${count}ケン`,
  selftest: 'テスト ガメン',
  selftestHint: 'ABC 0123 ｱｲｳ',
};

const en: GateMessages = {
  entry: (time) => `IN  ${time}`,
  exit: (time) => `OUT ${time}`,
  worker: (last4) => `ID ...${last4}`,
  storedOffline: 'Saved offline',
  already: 'Already recorded',
  unknownCard: 'Unknown card',
  unknownHint: 'See the office',
  refused: 'Not on roster',
  refusedHint: 'See the office',
  readError: 'Not read',
  readErrorHint: 'Try again',
  fault: 'Cannot record',
  faultHint: 'See the office',
  online: 'Online',
  offline: 'Offline',
  waiting: (count) => `${count} to send`,
  selftest: 'Test screen',
  selftestHint: 'ABC 0123 ｱｲｳ',
};

const vi: GateMessages = {
  entry: (time) => `Vào ${time}`,
  exit: (time) => `Ra  ${time}`,
  worker: (last4) => `ID ...${last4}`,
  storedOffline: 'Đã lưu offline',
  already: 'Đã ghi nhận',
  unknownCard: 'Thẻ chưa đăng ký',
  unknownHint: 'Gặp văn phòng',
  refused: 'Chưa có tên',
  refusedHint: 'Gặp văn phòng',
  readError: 'Không đọc được',
  readErrorHint: 'Thử lại',
  fault: 'Không ghi được',
  faultHint: 'Gặp văn phòng',
  online: 'Trực tuyến',
  offline: 'Ngoại tuyến',
  waiting: (count) => `${count} chờ gửi`,
  selftest: 'Màn hình thử',
  selftestHint: 'ABC 0123 ｱｲｳ',
};

const id: GateMessages = {
  entry: (time) => `Masuk ${time}`,
  exit: (time) => `Keluar ${time}`,
  worker: (last4) => `ID ...${last4}`,
  storedOffline: 'Simpan offline',
  already: 'Sudah tercatat',
  unknownCard: 'Kartu asing',
  unknownHint: 'Lapor ke kantor',
  refused: 'Tak terdaftar',
  refusedHint: 'Lapor ke kantor',
  readError: 'Gagal dibaca',
  readErrorHint: 'Coba lagi',
  fault: 'Gagal mencatat',
  faultHint: 'Lapor ke kantor',
  online: 'Online',
  offline: 'Offline',
  waiting: (count) => `${count} antre`,
  selftest: 'Layar uji',
  selftestHint: 'ABC 0123 ｱｲｳ',
};

export const GATE_MESSAGES: Record<GateLanguage, GateMessages> = { ja, en, vi, id };
