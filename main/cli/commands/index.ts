/**
 * The subcommands of `fragility-lab`, loaded on demand so that `fragility-lab help` does not load
 * TensorFlow.js.
 */
import type { CliCommand } from '../command.js';

export const commandLoaders: Record<string, { summary: string; load: () => Promise<CliCommand> }> = {
  run: { summary: 'Train and measure every run of a study, then print its CMS/eCMS table', load: async () => (await import('./run.js')).command },
  table: { summary: 'Print the CMS/eCMS table of a stored study', load: async () => (await import('./table.js')).command },
  measure: { summary: 'Compute the measures of a saved network on its training data', load: async () => (await import('./measure.js')).command },
  bound: { summary: 'Compute the marginal-likelihood PAC-Bayes bound of a data set', load: async () => (await import('./bound.js')).command },
  serve: { summary: 'Serve the lab to a browser on this machine (for headless workstations)', load: async () => (await import('./serve.js')).command },
  report: { summary: 'Write a report of a stored study: HTML, PDF, CSV, LaTeX or JSON, and plots', load: async () => (await import('./report.js')).command },
  rescale: { summary: 'Rescale a stored scale-invariant network and compare its measures with the predictions', load: async () => (await import('./rescale.js')).command },
  analyze: { summary: 'Analyse a CSV table of runs computed anywhere', load: async () => (await import('./analyze.js')).command },
};
