import type { GateLanguage } from '@ccus-gate/protocol';

/**
 * The worker self-view's words, in the four languages of the site's workers. Kept apart from
 * the dashboard's (ja, en), which speaks to contractors. `tests/server/self-view.test.ts`
 * keeps the catalogues in step.
 */
export interface SelfViewMessages {
  htmlLang: string;
  title: string;
  hello: (name: string, company: string) => string;
  linkUntil: (date: string) => string;
  days25: (n: string) => string;
  daysThisMonth: (n: string) => string;
  /** What the days allow in a trade, and what the next level still asks. */
  levelLine: (trade: string, level: string) => string;
  levelNext: (level: string, days: string, leaderDays: string, on: string | null) => string;
  levelNote: string;
  recordsHeading: string;
  noRecords: string;
  day: string;
  site: string;
  entry: string;
  exit: string;
  ccus: string;
  ccusAccepted: string;
  ccusWaiting: string;
  ccusHeld: string;
  ccusNotSent: string;
  tapsHeading: string;
  tapIn: string;
  tapOut: string;
  noTaps: string;
  missedHeading: string;
  missedHelp: (deadline: string) => string;
  note: string;
  send: string;
  sent: string;
  claimsHeading: string;
  claimWaiting: string;
  claimApproved: string;
  claimRejected: string;
  badLink: string;
  badLinkHelp: string;
  tooMany: string;
  badTime: string;
  badDay: string;
  refused: (why: string) => string;
}

const ja: SelfViewMessages = {
  htmlLang: 'ja',
  title: '就業履歴',
  hello: (name, company) => `${name} さん（${company}）`,
  linkUntil: (date) => `このリンクは ${date} まで使えます。他の人に見せないでください。`,
  days25: (n) => `直近25か月の就業日数: ${n} 日`,
  daysThisMonth: (n) => `今月: ${n} 日`,
  levelLine: (trade, level) => `${trade}: 日数ではレベル${level}`,
  levelNext: (level, days, leader, on) =>
    `レベル${level}まで あと${days}日${leader === '0' ? '' : `（うち職長・班長${leader}日）`}${on === null ? '' : `、見込み ${on}`}`,
  levelNote: 'ここで記録した日数だけです。CCUSは他の現場の記録も数えます。資格なども必要です。',
  recordsHeading: '就業履歴',
  noRecords: 'まだ記録がありません。',
  day: '日付',
  site: '現場',
  entry: '入場',
  exit: '退場',
  ccus: 'CCUS',
  ccusAccepted: '登録済み',
  ccusWaiting: '送信待ち',
  ccusHeld: '確認中（会社に聞いてください）',
  ccusNotSent: '未送信',
  tapsHeading: '最近のタッチ（14日）',
  tapIn: '入',
  tapOut: '出',
  noTaps: '最近のタッチはありません。',
  missedHeading: 'カードを忘れた日を届け出る',
  missedHelp: (deadline) => `会社または元請が確認してから記録されます。${deadline} までの日を届け出できます。`,
  note: 'ひとこと',
  send: '届け出る',
  sent: '届け出ました。確認を待っています。',
  claimsHeading: '届け出',
  claimWaiting: '確認待ち',
  claimApproved: '認められました',
  claimRejected: '認められませんでした',
  badLink: 'このリンクは使えません',
  badLinkHelp: '期限が切れたか、取り消されました。会社に新しいリンクをもらってください。',
  tooMany: 'アクセスが多すぎます。しばらくしてからもう一度どうぞ。',
  badTime: '時刻は 17:30 のように入れてください。',
  badDay: '日付を選んでください。',
  refused: (why) => `届け出できませんでした: ${why}`,
};

const en: SelfViewMessages = {
  htmlLang: 'en',
  title: 'My work history',
  hello: (name, company) => `${name} (${company})`,
  linkUntil: (date) => `This link works until ${date}. Do not share it.`,
  days25: (n) => `Days worked in the last 25 months: ${n}`,
  daysThisMonth: (n) => `This month: ${n}`,
  levelLine: (trade, level) => `${trade}: level ${level} by days`,
  levelNext: (level, days, leader, on) =>
    `Level ${level}: ${days} more days${leader === '0' ? '' : ` (${leader} as foreman or leader)`}${on === null ? '' : `, about ${on}`}`,
  levelNote: 'Only days recorded here: CCUS also counts days recorded elsewhere. A level also asks for qualifications.',
  recordsHeading: 'Work records',
  noRecords: 'No records yet.',
  day: 'Day',
  site: 'Site',
  entry: 'In',
  exit: 'Out',
  ccus: 'CCUS',
  ccusAccepted: 'Registered',
  ccusWaiting: 'Waiting to send',
  ccusHeld: 'Being checked (ask your employer)',
  ccusNotSent: 'Not sent',
  tapsHeading: 'Recent taps (14 days)',
  tapIn: 'In',
  tapOut: 'Out',
  noTaps: 'No recent taps.',
  missedHeading: 'Report a day I forgot my card',
  missedHelp: (deadline) =>
    `Your employer or the prime contractor checks it first. Days from ${deadline} on can be reported.`,
  note: 'Note',
  send: 'Report',
  sent: 'Reported. Waiting for approval.',
  claimsHeading: 'My reports',
  claimWaiting: 'Waiting',
  claimApproved: 'Approved',
  claimRejected: 'Not approved',
  badLink: 'This link does not work',
  badLinkHelp: 'It expired or was withdrawn. Ask your employer for a new one.',
  tooMany: 'Too many requests. Please try again in a while.',
  badTime: 'Enter times like 17:30.',
  badDay: 'Choose a day.',
  refused: (why) => `Could not report it: ${why}`,
};

const vi: SelfViewMessages = {
  htmlLang: 'vi',
  title: 'Lịch sử làm việc',
  hello: (name, company) => `${name} (${company})`,
  linkUntil: (date) => `Liên kết này dùng được đến ${date}. Đừng chia sẻ cho người khác.`,
  days25: (n) => `Số ngày làm việc trong 25 tháng gần đây: ${n}`,
  daysThisMonth: (n) => `Tháng này: ${n}`,
  levelLine: (trade, level) => `${trade}: cấp ${level} theo số ngày`,
  levelNext: (level, days, leader, on) =>
    `Cấp ${level}: còn ${days} ngày${leader === '0' ? '' : ` (${leader} ngày làm tổ trưởng)`}${on === null ? '' : `, khoảng ${on}`}`,
  levelNote: 'Chỉ tính ngày ghi ở đây: CCUS còn tính ngày ghi ở nơi khác. Cấp độ còn cần chứng chỉ.',
  recordsHeading: 'Hồ sơ làm việc',
  noRecords: 'Chưa có hồ sơ.',
  day: 'Ngày',
  site: 'Công trường',
  entry: 'Vào',
  exit: 'Ra',
  ccus: 'CCUS',
  ccusAccepted: 'Đã đăng ký',
  ccusWaiting: 'Đang chờ gửi',
  ccusHeld: 'Đang kiểm tra (hỏi công ty)',
  ccusNotSent: 'Chưa gửi',
  tapsHeading: 'Lần chạm thẻ gần đây (14 ngày)',
  tapIn: 'Vào',
  tapOut: 'Ra',
  noTaps: 'Không có lần chạm thẻ gần đây.',
  missedHeading: 'Báo ngày quên thẻ',
  missedHelp: (deadline) => `Công ty hoặc nhà thầu chính sẽ kiểm tra trước. Có thể báo các ngày từ ${deadline}.`,
  note: 'Ghi chú',
  send: 'Gửi báo cáo',
  sent: 'Đã gửi. Đang chờ phê duyệt.',
  claimsHeading: 'Báo cáo của tôi',
  claimWaiting: 'Đang chờ',
  claimApproved: 'Đã chấp nhận',
  claimRejected: 'Không được chấp nhận',
  badLink: 'Liên kết này không dùng được',
  badLinkHelp: 'Liên kết đã hết hạn hoặc bị thu hồi. Hãy xin công ty liên kết mới.',
  tooMany: 'Quá nhiều yêu cầu. Vui lòng thử lại sau.',
  badTime: 'Nhập giờ như 17:30.',
  badDay: 'Hãy chọn ngày.',
  refused: (why) => `Không gửi được: ${why}`,
};

const id: SelfViewMessages = {
  htmlLang: 'id',
  title: 'Riwayat kerja',
  hello: (name, company) => `${name} (${company})`,
  linkUntil: (date) => `Tautan ini berlaku sampai ${date}. Jangan dibagikan.`,
  days25: (n) => `Hari kerja dalam 25 bulan terakhir: ${n}`,
  daysThisMonth: (n) => `Bulan ini: ${n}`,
  levelLine: (trade, level) => `${trade}: level ${level} menurut jumlah hari`,
  levelNext: (level, days, leader, on) =>
    `Level ${level}: ${days} hari lagi${leader === '0' ? '' : ` (${leader} hari sebagai mandor)`}${on === null ? '' : `, sekitar ${on}`}`,
  levelNote:
    'Hanya hari yang dicatat di sini: CCUS juga menghitung hari dari tempat lain. Level juga butuh sertifikat.',
  recordsHeading: 'Catatan kerja',
  noRecords: 'Belum ada catatan.',
  day: 'Tanggal',
  site: 'Lokasi',
  entry: 'Masuk',
  exit: 'Keluar',
  ccus: 'CCUS',
  ccusAccepted: 'Terdaftar',
  ccusWaiting: 'Menunggu dikirim',
  ccusHeld: 'Sedang diperiksa (tanya perusahaan)',
  ccusNotSent: 'Belum dikirim',
  tapsHeading: 'Tap terakhir (14 hari)',
  tapIn: 'Masuk',
  tapOut: 'Keluar',
  noTaps: 'Tidak ada tap terakhir.',
  missedHeading: 'Laporkan hari lupa kartu',
  missedHelp: (deadline) =>
    `Perusahaan atau kontraktor utama memeriksanya dulu. Hari sejak ${deadline} bisa dilaporkan.`,
  note: 'Catatan',
  send: 'Laporkan',
  sent: 'Terkirim. Menunggu persetujuan.',
  claimsHeading: 'Laporan saya',
  claimWaiting: 'Menunggu',
  claimApproved: 'Disetujui',
  claimRejected: 'Tidak disetujui',
  badLink: 'Tautan ini tidak berlaku',
  badLinkHelp: 'Tautan sudah kedaluwarsa atau dicabut. Minta tautan baru ke perusahaan.',
  tooMany: 'Terlalu banyak permintaan. Coba lagi nanti.',
  badTime: 'Masukkan jam seperti 17:30.',
  badDay: 'Pilih tanggal.',
  refused: (why) => `Tidak bisa dilaporkan: ${why}`,
};

export const SELF_VIEW_MESSAGES: Record<GateLanguage, SelfViewMessages> = { ja, en, vi, id };
