import type { SpecExploration } from './explore-spec.ts';

/** `permutation "s1a" "s2a" …`: a line to paste into the spec. */
export function permutationLine(steps: readonly string[]): string {
  return `permutation ${steps.map((name) => `"${name}"`).join(' ')}`;
}

/** The last line: whether every interleaving was checked, or which bound stopped the search. */
export function explorationLine(exploration: SpecExploration): string {
  const { interleavings, outcomes } = exploration;
  const counts = [
    `${interleavings} run`,
    exploration.reduction
      ? `${exploration.pruned} branch${exploration.pruned === 1 ? '' : 'es'} pruned`
      : 'no reduction',
  ];
  const found = `${outcomes.length} distinct outcome${outcomes.length === 1 ? '' : 's'}`;
  switch (exploration.status) {
    case 'exhausted':
      return `exhausted: every interleaving checked (${counts.join(', ')}); ${found}`;
    case 'preemption-bound':
      return `not exhausted: preemption bound ${exploration.preemptionBound} (${counts.join(', ')}, ${exploration.bounded} beyond the bound); ${found} among the interleavings run`;
    case 'max-interleavings':
      return `not exhausted: stopped at --max-interleavings (${counts.join(', ')}); ${found} among the interleavings run`;
    case 'time-limit':
      return `not exhausted: stopped at --time-limit (${counts.join(', ')}); ${found} among the interleavings run`;
  }
}
