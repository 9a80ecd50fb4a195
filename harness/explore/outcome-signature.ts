import type { PropertyName } from '../../properties/property-names.ts';
import type { CaseRun } from '../engine/run-case.ts';

/**
 * One run's outcome in one line, for counting distinct outcomes and for the
 * soundness comparison: each property's verdict, units sold of each stock,
 * and each buyer's outcome (a thrown error by its SQLSTATE, not its words).
 */
export function outcomeSignature(
  run: CaseRun,
  properties: readonly PropertyName[],
  verdicts: readonly boolean[],
): string {
  const verdictText = properties.map((name, index) => `${name}=${verdicts[index] ? 'holds' : 'fails'}`);
  const sold = run.facts.measurement.stock.map((unit) => `${unit.key}:${unit.sold}`);
  const buyers = [...run.outcomes]
    .sort(([a], [b]) => a - b)
    .map(
      ([id, outcome]) =>
        `${id}:${outcome.kind === 'returned' ? outcome.value : `threw-${outcome.code ?? 'none'}`}`,
    );
  return `${verdictText.join(' ')} | sold ${sold.join(' ')} | ${buyers.join(' ')}`;
}

/**
 * The same outcome with interchangeable buyers' ids forgotten: the outcomes of
 * buyers with equal requests as a sorted list. Two runs that are mirror images
 * under swapping such buyers get the same canonical signature.
 */
export function canonicalSignature(signature: string, interchangeable: ReadonlyMap<number, string>): string {
  const [verdicts, sold, buyers] = signature.split(' | ');
  const byRequest = new Map<string, string[]>();
  for (const word of (buyers ?? '').split(' ')) {
    const [id, ...rest] = word.split(':');
    const key = interchangeable.get(Number(id)) ?? `buyer ${id}`;
    byRequest.set(key, [...(byRequest.get(key) ?? []), rest.join(':')]);
  }
  const groups = [...byRequest].map(([key, values]) => `${key}→${values.sort().join(',')}`).sort();
  return `${verdicts} | ${sold} | ${groups.join(' ')}`;
}
