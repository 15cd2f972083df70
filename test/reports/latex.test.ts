import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { Store } from '../../db/store.js';
import { buildStudyReport, escapeLatex, renderLatexReport, type StudyReport } from '../../main/reports/index.js';
import { tempDir } from '../helpers/temp.js';
import { writeCompleteStudy, writeGapStudy, writePendingStudy } from './studies.js';

const folder = tempDir('fragility-report-latex-');
const reports: Record<'complete' | 'gaps' | 'pending', StudyReport> = {} as Record<'complete' | 'gaps' | 'pending', StudyReport>;

function reportOf(path: string): StudyReport {
  const store = Store.open(path, { readonly: true });
  try {
    return buildStudyReport(store);
  } finally {
    store.close();
  }
}

// The LaTeX report prints scores, intervals and counts only, so studies written through the Store
// API test it as well as a trained one, in a fraction of the time.
before(() => {
  writeCompleteStudy(join(folder, 'complete.sqlite'));
  reports.complete = reportOf(join(folder, 'complete.sqlite'));
  writeGapStudy(join(folder, 'gaps.sqlite'));
  reports.gaps = reportOf(join(folder, 'gaps.sqlite'));
  writePendingStudy(join(folder, 'pending.sqlite'));
  reports.pending = reportOf(join(folder, 'pending.sqlite'));
});

const pdflatex = spawnSync('pdflatex', ['--version'], { encoding: 'utf8' });
const pdflatexMissing = pdflatex.error === undefined ? false : `pdflatex is not installed (${pdflatex.error.message})`;

/** Compiles a document in its own folder; returns the log on failure. */
function compile(name: string, source: string): { ok: boolean; log: string } {
  const work = join(folder, name);
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'report.tex'), source);
  const result = spawnSync('pdflatex', ['-interaction=nonstopmode', '-halt-on-error', '-no-shell-escape', 'report.tex'], { cwd: work, encoding: 'utf8', timeout: 60_000 });
  const ok = result.status === 0 && existsSync(join(work, 'report.pdf'));
  const log = existsSync(join(work, 'report.log')) ? readFileSync(join(work, 'report.log'), 'utf8') : `${result.stdout}${result.stderr}`;
  return { ok, log: log.split('\n').filter((line) => line.startsWith('!') || line.startsWith('l.')).join('\n') || log.slice(-2000) };
}

describe('LaTeX report', () => {
  test('booktabs tables without vertical rules', () => {
    const tex = renderLatexReport(reports.complete);
    const specs = [...tex.matchAll(/\\begin\{tabular\}\{([^}]*(?:\{[^}]*\}[^}]*)*)\}/g)].map((match) => match[1]!);
    assert.equal(specs.length, 3, 'CMS, eCMS and summary tables');
    for (const spec of specs) assert.ok(!spec.includes('|'), `vertical rule in ${spec}`);
    for (const rule of ['\\toprule', '\\midrule', '\\bottomrule', '\\cmidrule']) assert.ok(tex.includes(rule), rule);
    assert.ok(!tex.includes('\\hline'));
    assert.match(tex, /\\usepackage\{booktabs\}/);
    assert.match(tex, /\\usepackage\{dcolumn\}/);
    assert.match(tex, /\\newcolumntype\{d\}\[1\]\{D\{\.\}\{\.\}\{#1\}\}/);
  });

  test('numbers, intervals, verdicts and units', () => {
    const tex = renderLatexReport(reports.complete);
    const analysis = reports.complete.analysis!;
    for (const measure of analysis.measures) {
      assert.ok(tex.includes(`\\texttt{${measure.replaceAll('_', '\\_')}}`), measure);
      const ecms = analysis.ecms[measure]!.noise!;
      const interval = analysis.intervals.ecms[measure]!.noise!;
      const row = `${ecms.toFixed(3)} & ${interval[0].toFixed(3)} & ${interval[1].toFixed(3)}`.replace(/-0\.000/g, '0.000');
      assert.ok(tex.includes(row), `eCMS row of ${measure}: ${row}`);
      assert.ok(tex.includes(analysis.verdict[measure]!.noise!));
    }
    assert.match(tex, /\(dec\/dec\)/);
    assert.match(tex, /95\\% interval/);
    assert.match(tex, /\\emph\{noise\} \(data\): \$\\alpha_\\varepsilon\(B\)\$ = \$-?\d\.\d{3}\$/);
    assert.match(tex, /\\caption\{Summary per measure/);
  });

  test('escapes special characters', () => {
    assert.equal(escapeLatex('a_b & 50% #1 $x$ {y} ~ ^ \\'), 'a\\_b \\& 50\\% \\#1 \\$x\\$ \\{y\\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{}');
    assert.equal(escapeLatex('\u2212 0.1 \u2264 x \u2026 \u03b1'), '- 0.1 $\\le$ x \\ldots{} ?');
  });

  test('gaps are listed', () => {
    const tex = renderLatexReport(reports.gaps);
    assert.match(tex, /\\paragraph\{Gaps\.\}/);
    assert.equal(tex.match(/\\item /g)?.length, reports.gaps.gaps.length);
    assert.match(tex, /\\multicolumn\{1\}\{c\}\{---\}/, 'missing values as dashes');
  });

  for (const name of ['complete', 'gaps', 'pending'] as const) {
    test(`${name} study compiles with pdflatex`, { skip: pdflatexMissing }, () => {
      const { ok, log } = compile(name, renderLatexReport(reports[name]));
      assert.ok(ok, `pdflatex failed:\n${log}`);
    });
  }
});
