import { boundText } from '../engine/trace.ts';

/**
 * Renders the result from these texts, cutting the longest ones first (each
 * ends "… (N more characters cut)") until its JSON takes at most `limit` bytes.
 */
export function fitWithin<T>(
  texts: readonly string[],
  render: (texts: readonly string[]) => T,
  limit: number,
): T {
  const size = (candidate: readonly string[]): number =>
    Buffer.byteLength(JSON.stringify(render(candidate)), 'utf8');
  if (size(texts) <= limit) return render(texts);
  const fixed = size(texts.map(() => ''));
  // Bytes each text costs inside the JSON (escapes and UTF-8 included), per character.
  const costs = texts.map((text) => Buffer.byteLength(JSON.stringify(text), 'utf8') - 2);
  // Room for the cut marker in every text, then shrink the room until it fits.
  for (let room = limit - fixed - 64 * texts.length; room > 0; room = Math.floor(room * 0.9)) {
    const cap = fairShare(costs, room);
    const cut = texts.map((text, at) => {
      const cost = costs[at] ?? 0;
      if (cost <= cap) return text;
      return boundText(text, Math.max(Math.floor((text.length * cap) / cost), 48));
    });
    if (size(cut) <= limit) return render(cut);
  }
  return render(texts.map((text) => boundText(text, 48)));
}

/** The largest cap such that the costs, each cut to it, add up to at most `room` (water-filling). */
function fairShare(costs: readonly number[], room: number): number {
  const sorted = [...costs].sort((a, b) => a - b);
  let left = room;
  for (let at = 0; at < sorted.length; at++) {
    const cost = sorted[at] ?? 0;
    const even = left / (sorted.length - at);
    if (cost > even) return Math.floor(even);
    left -= cost;
  }
  return Number.POSITIVE_INFINITY;
}
