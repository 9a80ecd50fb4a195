// Apart from the arbitraries, so that the CLI can show its defaults in --help
// without loading fast-check.

/** An inclusive range of whole numbers, as `--capacity 1..3` gives it. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** The ranges a check draws cases from (`--capacity`, `--buyers`, `--quantity`). */
export interface CaseRanges {
  readonly capacity: Range;
  readonly buyers: Range;
  readonly quantity: Range;
}

/**
 * Two units per buyer at most by default: a guard written `remaining > 0`
 * instead of `remaining >= quantity` only oversells when a buyer asks for
 * more than what is left, which one unit per buyer never does.
 */
export const defaultCaseRanges: CaseRanges = {
  capacity: { min: 1, max: 3 },
  buyers: { min: 2, max: 4 },
  quantity: { min: 1, max: 2 },
};

/** `{ min: 1, max: 3 }` → `1..3`, `{ min: 2, max: 2 }` → `2`: as people type it. */
export function formatRange(range: Range): string {
  return range.min === range.max ? `${range.min}` : `${range.min}..${range.max}`;
}
