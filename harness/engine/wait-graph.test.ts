import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unstableBuyers, waitCycle } from './wait-graph.ts';

describe('the waits-for graph', () => {
  it('treats a buyer as unstable when it waits, even through others, for a moving buyer', () => {
    const waits = new Map([
      [3, [2]],
      [2, [1]],
      [5, [4]],
    ]);
    expect([...unstableBuyers(waits, [1])].sort()).toEqual([1, 2, 3]);
    expect([...unstableBuyers(waits, [])]).toEqual([]);
  });

  it('keeps a deadlock stable: blocked buyers that wait only for each other', () => {
    const waits = new Map([
      [1, [2]],
      [2, [1]],
    ]);
    expect(unstableBuyers(waits, [3]).has(1)).toBe(false);
    expect(waitCycle(waits).sort()).toEqual([1, 2]);
    expect(
      waitCycle(
        new Map([
          [1, [2]],
          [2, [3]],
        ]),
      ),
    ).toEqual([]);
  });

  it('finds a cycle exactly when one exists (checked against a brute-force search)', () => {
    const graph = fc
      .uniqueArray(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })), {
        selector: ([from]) => from,
        maxLength: 5,
      })
      .map((edges) => new Map(edges.map(([from, to]) => [from, [to]])));
    fc.assert(
      fc.property(graph, (waits) => {
        const cycle = waitCycle(waits);
        // With one edge per buyer, a cycle exists iff following edges from some buyer returns to it.
        const hasCycle = [...waits.keys()].some((start) => {
          let current: number | undefined = start;
          for (let step = 0; step < 6; step++) {
            current = current === undefined ? undefined : waits.get(current)?.[0];
            if (current === start) return true;
          }
          return false;
        });
        expect(cycle.length > 0).toBe(hasCycle);
        for (const [index, buyer] of cycle.entries()) {
          expect(waits.get(buyer)).toContain(cycle[(index + 1) % cycle.length]);
        }
      }),
    );
  });
});
