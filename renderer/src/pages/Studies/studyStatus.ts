/** A study's status in words, from its execution state and run counts. */
import type { StudySummary } from '../../../../main/api/types.js';

export interface StudyStatus {
  label: string;
  tone: 'neutral' | 'active' | 'done' | 'problem';
}

export function describeStudyStatus(study: StudySummary): StudyStatus {
  const failed = (study.counts.failed ?? 0) + (study.counts.interrupted ?? 0);
  if (study.state === 'running') return { label: 'running', tone: 'active' };
  if (study.state === 'paused') return { label: 'paused', tone: 'active' };
  if (study.state === 'cancelling') return { label: 'cancelling', tone: 'active' };
  if (study.total === 0) return { label: 'no runs', tone: 'neutral' };
  if (study.progress >= 1) return { label: 'finished', tone: 'done' };
  if (failed > 0) return { label: `stopped, ${failed} failed`, tone: 'problem' };
  if ((study.counts.pending ?? 0) === study.total) return { label: 'not started', tone: 'neutral' };
  return { label: 'stopped part-way', tone: 'neutral' };
}
