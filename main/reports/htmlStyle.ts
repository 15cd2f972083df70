/**
 * The stylesheet of the HTML report, for screens and for print (the PDF report is this page
 * printed by Chromium). Fonts are system font stacks and nothing is loaded from elsewhere, so the
 * file renders the same offline. Verdicts have a colour and their word, never the colour alone.
 */
export const reportStylesheet = `
:root {
  --text: #1a1a1a;
  --muted: #555;
  --rule: #d0d0d0;
  --faint: #f4f4f2;
  --accent: #0b5394;
  --fragile-bg: #fbe3d6;
  --fragile-fg: #8a2c00;
  --robust-bg: #dcebf7;
  --robust-fg: #0b4a7a;
  --undetermined-bg: #ececec;
  --undetermined-fg: #444;
  --gap-bg: #fff6df;
  --gap-rule: #d9a400;
}
* { box-sizing: border-box; }
html { font-size: 15px; }
body {
  margin: 0 auto;
  max-width: 1180px;
  padding: 24px 28px 48px;
  color: var(--text);
  background: #fff;
  font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Noto Sans', 'Liberation Sans', sans-serif;
  line-height: 1.5;
}
h1 { font-size: 1.75rem; margin: 0 0 0.25rem; line-height: 1.2; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 0.6rem; padding-bottom: 0.2rem; border-bottom: 2px solid var(--text); }
h3 { font-size: 1.05rem; margin: 1.6rem 0 0.4rem; }
p { margin: 0.4rem 0 0.8rem; max-width: 62rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', 'Liberation Mono', monospace; font-size: 0.86em; }
pre { background: var(--faint); padding: 0.8rem; overflow-x: auto; border: 1px solid var(--rule); font-size: 0.78rem; line-height: 1.35; }
a { color: var(--accent); }
.lede { color: var(--muted); margin-top: 0.2rem; }
nav.contents { margin: 1rem 0 0; padding: 0.6rem 0.9rem; background: var(--faint); border: 1px solid var(--rule); }
nav.contents ol { margin: 0; padding-left: 1.3rem; columns: 2; column-gap: 2rem; }
.key-facts { display: flex; flex-wrap: wrap; gap: 0.6rem; margin: 1rem 0; }
.key-facts div { flex: 1 1 9rem; border: 1px solid var(--rule); padding: 0.5rem 0.7rem; }
.key-facts .figure { display: block; font-size: 1.35rem; font-weight: 600; }
.key-facts .label { color: var(--muted); font-size: 0.85rem; }
.gaps { background: var(--gap-bg); border-left: 4px solid var(--gap-rule); padding: 0.6rem 1rem; margin: 0.8rem 0; }
.gaps ul { margin: 0.3rem 0; padding-left: 1.2rem; }
.gaps li { margin: 0.2rem 0; }
.no-gaps { border-left: 4px solid #2e7d32; background: #eef6ee; padding: 0.6rem 1rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1.2rem; margin: 0.6rem 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
dl.definitions dt { font-weight: 600; margin-top: 0.7rem; }
dl.definitions dd { margin: 0.1rem 0 0 1.2rem; }
.table-wrap { overflow-x: auto; margin: 0.6rem 0 1rem; }
table { border-collapse: collapse; font-size: 0.86rem; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: 0 0 0.35rem; }
thead th { border-top: 2px solid var(--text); border-bottom: 1px solid var(--text); vertical-align: bottom; }
tbody tr:last-child td { border-bottom: 2px solid var(--text); }
th, td { padding: 0.28rem 0.6rem; text-align: left; vertical-align: top; }
tbody tr:nth-child(even) td { background: #fafafa; }
tr.target-row td { background: var(--faint); font-style: italic; }
th.num, td.num { text-align: right; white-space: nowrap; }
th .sub { display: block; font-weight: normal; color: var(--muted); font-size: 0.8rem; }
.ci { color: var(--muted); white-space: nowrap; }
.cell-score { white-space: nowrap; }
.missing { color: #8a1c00; font-style: italic; }
.verdict { display: inline-block; padding: 0 0.4rem; border-radius: 3px; font-size: 0.78rem; font-weight: 600; letter-spacing: 0.01em; }
.verdict.fragile { background: var(--fragile-bg); color: var(--fragile-fg); }
.verdict.robust { background: var(--robust-bg); color: var(--robust-fg); }
.verdict.undetermined { background: var(--undetermined-bg); color: var(--undetermined-fg); }
.flip { font-size: 0.78rem; color: var(--fragile-fg); font-weight: 600; }
.status, .time { white-space: nowrap; }
.status-failed, .status-diverged { color: #8a1c00; font-weight: 600; }
.status-pending, .status-running, .status-interrupted { color: var(--muted); font-style: italic; }
.note-ref a { text-decoration: none; font-size: 0.75rem; padding-left: 1px; }
ol.notes { font-size: 0.8rem; color: var(--muted); margin: -0.4rem 0 1rem; padding-left: 1.6rem; }
figure { margin: 1rem 0 1.6rem; break-inside: avoid; page-break-inside: avoid; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.85rem; color: var(--muted); margin-top: 0.3rem; max-width: 62rem; }
footer { margin-top: 3rem; padding-top: 0.6rem; border-top: 1px solid var(--rule); color: var(--muted); font-size: 0.8rem; }

@media print {
  @page { size: A4; }
  html { font-size: 9.5pt; }
  body { max-width: none; padding: 0; }
  nav.contents { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; margin-top: 1.4rem; }
  h3 { break-after: avoid; page-break-after: avoid; }
  h2.new-page { break-before: page; page-break-before: always; }
  .table-wrap { overflow: visible; }
  table { font-size: 7.8pt; }
  th, td { padding: 0.15rem 0.35rem; }
  thead { display: table-header-group; }
  tr, .key-facts div, .gaps li { break-inside: avoid; page-break-inside: avoid; }
  tbody tr:nth-child(even) td { background: #f6f6f6; }
  pre { white-space: pre-wrap; font-size: 7pt; }
  a { color: inherit; text-decoration: none; }
  figure { margin: 0.6rem 0 1rem; }
}
`;
