import type { TraceEvent } from '../engine/trace.ts';

/** Where two traces of the same schedule first differ. */
export interface Divergence {
  /** 1-based position of the first differing event. */
  readonly event: number;
  readonly recorded: TraceEvent | undefined;
  readonly replayed: TraceEvent | undefined;
}

/**
 * Compares what happened, not where the code sat: call sites (`at`) name
 * paths that differ between machines, so they are left out.
 */
export function firstDivergence(
  recorded: readonly TraceEvent[],
  replayed: readonly TraceEvent[],
): Divergence | null {
  const length = Math.max(recorded.length, replayed.length);
  for (let index = 0; index < length; index++) {
    const left = recorded[index];
    const right = replayed[index];
    if (left === undefined || right === undefined || comparable(left) !== comparable(right)) {
      return { event: index + 1, recorded: left, replayed: right };
    }
  }
  return null;
}

/** One event in words, for the line that says where a replay diverged. */
export function describeEvent(event: TraceEvent | undefined): string {
  if (event === undefined) return 'nothing (the run had ended)';
  switch (event.event) {
    case 'sent':
      return `buyer ${event.buyer} sent ${event.sql}`;
    case 'completed':
      return `buyer ${event.buyer}'s ${event.sql} ${event.resumed ? 'resumed and ' : ''}completed (${event.rowCount ?? 0} rows)`;
    case 'blocked':
      return `buyer ${event.buyer}'s ${event.sql} waited on buyer ${event.blockedBy.join(', ')}${event.lock ? ` for ${event.lock}` : ''}`;
    case 'failed':
      return `buyer ${event.buyer}'s ${event.sql} failed with ${event.code} (${event.message})`;
    case 'paused':
      return `buyer ${event.buyer} paused at '${event.label}'`;
    case 'continued':
      return `buyer ${event.buyer} continued from '${event.label}'`;
    case 'returned':
      return `buyer ${event.buyer} returned '${event.value}'`;
    case 'threw':
      return `buyer ${event.buyer} threw ${event.code ? `${event.code} ` : ''}(${event.message})`;
  }
}

function comparable(event: TraceEvent): string {
  const { at: _at, ...rest } = event as TraceEvent & { at?: string };
  return JSON.stringify(rest, Object.keys(rest).sort());
}
