import type { BuyerOutcome } from '../harness/engine/trace.ts';
import type { Measurement } from '../harness/scenarios/scenario.ts';
import type { PropertyName } from './property-names.ts';

/** What one interleaving produced, as the properties see it. */
export interface RunFacts {
  readonly outcomes: ReadonlyMap<number, BuyerOutcome>;
  readonly measurement: Measurement;
  /** What each buyer asked for, per key. */
  readonly wants: ReadonlyMap<number, ReadonlyMap<string, number>>;
}

/** Whether a property held on one run; `why` is one sentence when it did not. */
export type Verdict = { readonly holds: true } | { readonly holds: false; readonly why: string };

const holds: Verdict = { holds: true };

/** Evaluates one property on one run. */
export function evaluateProperty(name: PropertyName, facts: RunFacts): Verdict {
  switch (name) {
    case 'no-oversell':
      return noOversell(facts);
    case 'honest-outcome':
      return honestOutcome(facts);
    case 'no-undersell':
      return noUndersell(facts);
    case 'no-errors':
      return noErrors(facts);
  }
}

function noOversell({ measurement, outcomes, wants }: RunFacts): Verdict {
  const over = measurement.stock.find((unit) => unit.sold > unit.capacity);
  if (!over) return holds;
  const told = [...outcomes]
    .filter(([, outcome]) => outcome.kind === 'returned' && outcome.value === 'purchased')
    .map(([id]) => id)
    .sort((a, b) => a - b);
  const units = told.map((id) => wants.get(id)?.get(over.key) ?? 0).filter((count) => count > 0);
  const buyers = told.filter((id) => (wants.get(id)?.get(over.key) ?? 0) > 0);
  const who =
    buyers.length === 0
      ? 'no buyer was told it bought them'
      : buyers.length === 1
        ? `buyer ${buyers[0]} was told 'purchased' for ${units[0]}`
        : `buyers ${list(buyers)} were each told 'purchased' (${units.join(' + ')} units)`;
  return {
    holds: false,
    why: `${over.sold} units of ${label(over.key, measurement)} were sold but only ${over.capacity} existed: ${who}.`,
  };
}

function honestOutcome({ outcomes, measurement, wants }: RunFacts): Verdict {
  for (const [buyer, outcome] of [...outcomes].sort(([a], [b]) => a - b)) {
    const held = measurement.holdings.get(buyer) ?? new Map<string, number>();
    const heldUnits = sum(held.values());
    if (outcome.kind === 'returned' && outcome.value === 'purchased') {
      const wanted = wants.get(buyer) ?? new Map<string, number>();
      for (const [key, units] of wanted) {
        if ((held.get(key) ?? 0) !== units) {
          return {
            holds: false,
            why: `buyer ${buyer} was told 'purchased' for ${units} unit(s) of ${label(key, measurement)} but holds ${held.get(key) ?? 0}.`,
          };
        }
      }
      const extra = [...held].find(([key]) => !wanted.has(key));
      if (extra) {
        return {
          holds: false,
          why: `buyer ${buyer} holds ${extra[1]} unit(s) of ${label(extra[0], measurement)}, which it did not ask for.`,
        };
      }
    } else if (heldUnits > 0) {
      const told = outcome.kind === 'returned' ? `was told '${outcome.value}'` : 'saw an error';
      return { holds: false, why: `buyer ${buyer} ${told} but holds ${heldUnits} unit(s) all the same.` };
    }
  }
  const stray = measurement.strayChanges[0];
  return stray ? { holds: false, why: `${stray}.` } : holds;
}

function noUndersell({ outcomes, measurement, wants }: RunFacts): Verdict {
  for (const [buyer, outcome] of [...outcomes].sort(([a], [b]) => a - b)) {
    if (outcome.kind !== 'returned' || outcome.value !== 'sold-out') continue;
    const wanted = wants.get(buyer) ?? new Map<string, number>();
    const couldServe = [...wanted].every(([key, units]) => {
      const unit = measurement.stock.find((candidate) => candidate.key === key);
      return unit !== undefined && unit.capacity - unit.sold >= units;
    });
    if (couldServe && wanted.size > 0) {
      const left = [...wanted]
        .map(([key]) => {
          const unit = measurement.stock.find((candidate) => candidate.key === key)!;
          return `${unit.capacity - unit.sold} of ${label(key, measurement)}`;
        })
        .join(', ');
      return {
        holds: false,
        why: `buyer ${buyer} was told 'sold-out', yet ${left} still unsold at the end, enough for its ${sum(wanted.values())} unit(s).`,
      };
    }
  }
  return holds;
}

function noErrors({ outcomes }: RunFacts): Verdict {
  for (const [buyer, outcome] of [...outcomes].sort(([a], [b]) => a - b)) {
    if (outcome.kind === 'threw') {
      const code = outcome.code ? ` (SQLSTATE ${outcome.code})` : '';
      return { holds: false, why: `buyer ${buyer}'s purchase threw${code}: ${outcome.message}` };
    }
  }
  return holds;
}

function label(key: string, measurement: Measurement): string {
  return measurement.stock.length === 1 ? `event ${key}` : `item ${key}`;
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

function list(ids: readonly number[]): string {
  return ids.length <= 2 ? ids.join(' and ') : `${ids.slice(0, -1).join(', ')} and ${ids.at(-1)}`;
}
