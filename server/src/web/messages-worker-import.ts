/** The dashboard's words for importing workers from a file, ja then en, key for key. */
export const workerImportJa = {
  importHeading: '技能者の一括登録',
  importHelp:
    'CSVファイル(UTF-8またはShift_JIS)。1行目に列名: 技能者ID、氏名、職種(複数は「、」区切り)、事業者ID(任意)。登録前に内容を確認できます。',
  importFile: 'CSVファイル',
  importCheck: '内容を確認',
  importSummary: (n: string, c: string, u: string) => `新規 ${n}人、変更 ${c}人、変更なし ${u}人`,
  importIgnored: (columns: string) => `使わない列: ${columns}`,
  importErrors: (n: string) => `${n}行に問題があります。直してからもう一度読み込んでください。`,
  importRow: '行',
  importField: '項目',
  importProblem: '問題',
  importNew: '新しく登録する技能者',
  importChanged: '変更する技能者',
  importConfirm: (n: string) => `${n}人を登録する`,
  importBack: '技能者の画面に戻る',
  importNoFile: 'CSVファイルを選んでください',
  importDone: (n: string, c: string) => `${n}人を登録し、${c}人を変更しました`,
};

export const workerImportEn: typeof workerImportJa = {
  importHeading: 'Import workers',
  importHelp:
    'A CSV file (UTF-8 or Shift_JIS) whose first line names the columns: 技能者ID (workerId), 氏名 (name), 職種 (trades, several separated by 、 or ;), 事業者ID (optional). You see what changes before it does.',
  importFile: 'CSV file',
  importCheck: 'Check it',
  importSummary: (n: string, c: string, u: string) => `${n} new, ${c} changed, ${u} unchanged`,
  importIgnored: (columns: string) => `Columns not used: ${columns}`,
  importErrors: (n: string) => `${n} row(s) have problems: correct them and read the file again.`,
  importRow: 'Line',
  importField: 'Field',
  importProblem: 'Problem',
  importNew: 'New workers',
  importChanged: 'Workers that change',
  importConfirm: (n: string) => `Save ${n} workers`,
  importBack: 'Back to workers',
  importNoFile: 'Choose a CSV file',
  importDone: (n: string, c: string) => `${n} workers added, ${c} changed`,
};
