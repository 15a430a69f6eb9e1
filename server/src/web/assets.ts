/**
 * The dashboard's only stylesheet and script, served from memory. The script does four
 * small things: live pages refresh their content when the server says something changed
 * (server-sent events), site pickers submit on change, removal buttons ask first, and each
 * table cell is labelled with its column, so that a phone shows a table as stacked rows.
 */
export const DASHBOARD_JS = `'use strict';
(() => {
  const main = document.getElementById('main');
  // Each cell carries its column's name: on a phone, tables are stacked rows of label and value.
  const label = (root) => {
    for (const table of root.querySelectorAll('table')) {
      const names = [...table.querySelectorAll('thead th')].map((th) => th.textContent.trim());
      for (const row of table.querySelectorAll('tbody tr')) {
        [...row.children].forEach((cell, i) => { cell.dataset.label = names[i] || ''; });
      }
    }
  };
  label(document);
  const url = main && main.dataset.live;
  if (url && 'EventSource' in window) {
    let timer = null;
    // Refreshes may answer out of order on a busy server: only the latest one asked is shown.
    let asked = 0;
    const refresh = async () => {
      const mine = ++asked;
      const response = await fetch(location.href, { headers: { 'x-partial': 'main' }, credentials: 'same-origin' });
      const html = response.ok ? await response.text() : null;
      if (html === null || mine !== asked) return;
      // What the page said when it opened ("self-test sent") stays: the refresh is of the content.
      const flashes = [...main.querySelectorAll(':scope > .flash')];
      main.innerHTML = html;
      main.prepend(...flashes);
      label(main);
    };
    const source = new EventSource(url);
    source.addEventListener('open', () => { main.dataset.liveState = 'open'; });
    source.addEventListener('error', () => { main.dataset.liveState = 'reconnecting'; });
    source.addEventListener('change', () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 50);
    });
  }
  document.addEventListener('change', (event) => {
    const target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute('data-autosubmit')) target.form.submit();
  });
  document.addEventListener('submit', (event) => {
    const question = event.target.getAttribute('data-confirm');
    if (question && !confirm(question)) event.preventDefault();
  });
})();
`;

export const DASHBOARD_CSS = `:root {
  --fg: #1d232a; --muted: #5d6875; --line: #d9dee4; --bg: #f6f7f9; --card: #fff;
  --accent: #0b5cad; --ok: #17723a; --warn: #9a5b00; --bad: #b3261e;
  font-family: system-ui, -apple-system, "Hiragino Sans", "Noto Sans JP", "Yu Gothic UI", sans-serif;
  color: var(--fg); background: var(--bg); line-height: 1.5;
}
* { box-sizing: border-box; }
body { margin: 0; }
header { background: #17324d; color: #fff; position: sticky; top: 0; z-index: 1; }
header a, header button.link { color: #fff; }
.bar { display: flex; align-items: center; gap: .75rem; padding: .5rem 1rem; flex-wrap: wrap; }
.brand { font-size: 1.05rem; } .tenant { opacity: .85; } .spacer { flex: 1; }
nav { display: flex; gap: .25rem; padding: 0 .5rem; overflow-x: auto; white-space: nowrap; }
nav a { padding: .5rem .75rem; text-decoration: none; border-bottom: 3px solid transparent; }
nav a[aria-current=page] { border-bottom-color: #fff; font-weight: 600; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.4rem; margin: .25rem 0 1rem; } h1 small { font-weight: normal; color: var(--muted); font-size: 1rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .25rem 1rem 1rem; margin-bottom: 1rem; }
section.cards { display: flex; gap: .75rem; background: none; border: 0; padding: 0; flex-wrap: wrap; }
.stat { flex: 1 1 8rem; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .75rem 1rem; }
.stat .value { display: block; font-size: 2rem; font-weight: 700; } .stat .label { color: var(--muted); }
.stat.warn { border-color: var(--warn); } .stat.warn .value { color: var(--warn); }
section.risk { border-color: var(--bad); }
section.alerts { border-color: var(--warn); background: #fff8ec; }
section.alerts ul { margin: .5rem 0 0; padding-left: 1.2rem; }
section.alerts li.bad a { color: var(--bad); font-weight: 600; } section.alerts li.warn a { color: var(--warn); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .85rem; color: var(--muted); font-weight: 600; white-space: nowrap; }
td:nth-child(-n+4) { white-space: nowrap; }
tr.warn td { background: #fff6e5; }
.muted { color: var(--muted); } .warn { color: var(--warn); } .bad { color: var(--bad); } .ok { color: var(--ok); }
.badge { display: inline-block; font-size: .8rem; padding: 0 .45rem; margin: 0 .2rem; border-radius: 1rem; border: 1px solid var(--line); background: #eef1f4; color: var(--fg); white-space: nowrap; }
.badge.ok { background: #e3f4e8; border-color: #9fd3b0; color: var(--ok); }
.badge.warn { background: #fff1d6; border-color: #f0c77a; color: var(--warn); }
.badge.bad { background: #fde7e5; border-color: #f1a9a3; color: var(--bad); }
.reason { display: block; color: var(--bad); font-size: .85rem; }
ul.people { list-style: none; padding: 0; margin: 0; }
ul.people li { display: flex; flex-wrap: wrap; gap: .5rem; align-items: baseline; padding: .4rem 0; border-bottom: 1px solid var(--line); }
.name { font-weight: 600; }
.empty { color: var(--muted); }
.flash { padding: .6rem .9rem; border-radius: 6px; }
.flash.ok { background: #e3f4e8; color: var(--ok); } .flash.error { background: #fde7e5; color: var(--bad); }
.help { color: var(--muted); }
.notice { padding: .6rem .9rem; border-radius: 6px; border: 1px solid var(--ok); background: #e3f4e8; }
.secret { display: inline-block; padding: .3rem .5rem; background: #fff; user-select: all; word-break: break-all; }
.qr svg { width: 12rem; height: 12rem; background: #fff; }
pre.change { white-space: pre-wrap; overflow-wrap: anywhere; font-size: .8rem; margin: .25rem 0 0; max-width: 32rem; }
.item { display: flex; flex-wrap: wrap; gap: .5rem 1rem; justify-content: space-between; align-items: center; padding: .6rem 0; border-bottom: 1px solid var(--line); }
form.inline { display: inline; }
form.row { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; }
div.row { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; margin-bottom: 1rem; }
form.stack { display: grid; gap: .6rem; max-width: 28rem; }
form.stack label { display: grid; gap: .2rem; }
form.picker { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin-bottom: 1rem; }
input, select, button { font: inherit; padding: .45rem .6rem; border: 1px solid #b8c0c9; border-radius: 6px; background: #fff; min-height: 2.5rem; max-width: 100%; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button.small { min-height: 2rem; padding: .15rem .5rem; font-size: .85rem; }
button.link { background: none; border: 0; text-decoration: underline; padding: 0; min-height: 0; }
button:disabled { opacity: .5; cursor: not-allowed; }
fieldset { border: 1px solid var(--line); border-radius: 6px; }
input[type=radio], input[type=checkbox] { min-height: 0; padding: 0; margin: 0; width: auto; accent-color: var(--accent); }
fieldset label, label:has(> input[type=radio]), label:has(> input[type=checkbox]) { display: flex; align-items: center; gap: .4rem; }
.grid { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(20rem, 1fr)); }
article.terminal { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .5rem 1rem 1rem; }
article.terminal h2 { margin-top: .5rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .75rem; margin: 0 0 .75rem; }
dt { color: var(--muted); } dd { margin: 0; }
body.signin main { max-width: 24rem; margin-top: 10vh; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
@media (max-width: 40rem) {
  main { padding: .5rem; } section { padding: .25rem .6rem .6rem; }
  .bar { gap: .4rem; font-size: .9rem; } .tenant { display: none; }
  /* Every page is one tap away: the navigation wraps rather than hiding pages off screen. */
  nav { flex-wrap: wrap; white-space: normal; }
  nav a { padding: .4rem .55rem; }
  /* Tables become stacked rows: each cell on its own line, its column's name before it. */
  table thead { display: none; }
  table, table tbody, table tr, table td { display: block; width: 100%; }
  table tr { padding: .4rem 0; border-bottom: 1px solid var(--line); }
  table td { display: grid; grid-template-columns: 7rem minmax(0, 1fr); gap: .1rem .5rem; justify-items: start; border: 0; padding: .15rem 0; white-space: normal; overflow-wrap: anywhere; }
  table td > * { grid-column: 2; }
  table td[data-label=""] { grid-template-columns: minmax(0, 1fr); }
  table td[data-label=""] > * { grid-column: 1; }
  td:nth-child(-n+4) { white-space: normal; }
  table td::before { content: attr(data-label); color: var(--muted); font-size: .8rem; grid-row: 1 / span 8; }
  table td[data-label=""]::before { content: none; }
  form.row { width: 100%; } form.row input { flex: 1 1 8rem; min-width: 0; }
  form.row input.narrow { flex: 0 0 5rem; }
}
`;
