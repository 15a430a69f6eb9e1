/** The dashboard's words about CCUS's own site roster (import and registration), ja then en, key for key. */
export const ccusJa = {
  heading: 'CCUS',
  help: 'CCUSの施工体制技能者情報を取り込むか、この現場・施工体制・名簿をCCUSに登録します。',
  importLink: 'CCUSから技能者を取り込む',
  register: '現場と名簿をCCUSに登録',
  registerHint: '元請は現場と施工体制も送ります。各社は自社の技能者だけを登録できます。',
  importHeading: (site: string) => `CCUSから取り込み: ${site}`,
  importHelp: '確定するまで何も変わりません。CCUSの名簿にだけいない技能者はここで削除されません。',
  add: (n: string) => `追加 ${n}人`,
  change: (n: string) => `変更 ${n}人`,
  unchanged: (n: string) => `変更なし ${n}人`,
  skipped: (n: string) => `取り込まない ${n}人`,
  onlyHere: (n: string) => `こちらの名簿にだけいる ${n}人(CCUSへの登録が必要です)`,
  before: '変更前',
  after: 'CCUS',
  newOnBooks: '新規登録',
  confirm: 'この内容で取り込む',
  nothingToDo: 'CCUSの名簿とこちらの名簿は同じです。',
  imported: (added: string, changed: string) => `CCUSから${added}人を追加し、${changed}人を変更しました`,
  registered: (registered: string, refused: string, resent: string) =>
    `CCUSに${registered}人を登録しました(拒否 ${refused}人)。${resent}件の就業履歴を再送します`,
  refusedPrefix: 'CCUSが拒否',
  registerAndResend: 'CCUSの現場名簿に登録して再送',
  notOnCcusRosterHint:
    'この技能者はCCUSの現場名簿(施工体制技能者)に登録されていません。こちらの名簿に追加しても解決しません。CCUSに登録してから再送してください。',
};

export const ccusEn: typeof ccusJa = {
  heading: 'CCUS',
  help: "Import the site's workers from CCUS (施工体制技能者情報), or register this site, its structure and its roster on CCUS.",
  importLink: 'Import workers from CCUS',
  register: 'Register site and roster on CCUS',
  registerHint: 'The prime also sends the site and its structure. Each company registers only its own workers.',
  importHeading: (site: string) => `Import from CCUS: ${site}`,
  importHelp: 'Nothing changes until you confirm. Workers missing from CCUS’s roster are not removed here.',
  add: (n: string) => `Add ${n}`,
  change: (n: string) => `Change ${n}`,
  unchanged: (n: string) => `${n} unchanged`,
  skipped: (n: string) => `${n} not imported`,
  onlyHere: (n: string) => `${n} on our roster only (register them on CCUS)`,
  before: 'Now',
  after: 'CCUS',
  newOnBooks: 'new worker',
  confirm: 'Import these changes',
  nothingToDo: 'CCUS’s roster and ours already agree.',
  imported: (added: string, changed: string) => `From CCUS: ${added} workers added, ${changed} changed`,
  registered: (registered: string, refused: string, resent: string) =>
    `Registered ${registered} workers on CCUS (${refused} refused); ${resent} records are sent again`,
  refusedPrefix: 'CCUS refused',
  registerAndResend: 'Register on CCUS’s site roster and resend',
  notOnCcusRosterHint:
    'This worker is not on CCUS’s roster of the site (施工体制技能者). Adding them to our roster does not fix it: register them on CCUS, then send again.',
};
