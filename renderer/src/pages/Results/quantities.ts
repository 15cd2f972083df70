/** Names of the plotted quantities of the learning curves. */
import type { MeasureInfo } from '../../../../main/api/types.js';
import type { TargetKind } from '../../lib/analysisTypes.js';

/**
 * Returns the size-adjusted quantity X whose log10 a measure's learning curve plots.
 * NOTE: this repeats the engine's size-adjustment rule (log measures: sqrt(exp(value) / m);
 * epochs_to_fit and the marginal-likelihood bound: the raw value; others: sqrt(value / m)),
 * because measures-list does not send the rule.
 */
export function plottedQuantity(id: string, info: MeasureInfo | undefined): string {
  if (id === 'epochs_to_fit') return 'epochs';
  if (id === 'marginal_likelihood_bound') return id;
  if (info?.isLog === true) return `sqrt(exp(${id}) / m)`;
  return `sqrt(${id} / m)`;
}

export function targetTitle(target: TargetKind): string {
  return target === 'gap' ? 'Generalization gap' : 'Test error';
}
