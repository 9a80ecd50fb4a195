import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { overtaking, unstableBuyers, waitCycle } from './wait-graph.ts';

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

  describe('a buyer overtaken by one that began to wait later', () => {
    // Buyer 1 waits for buyer 9's row since decision 3, buyer 2 queued behind buyer 1 since decision 5.
    const before = new Map([
      [1, [9]],
      [2, [1]],
    ]);
    const since = new Map([
      [1, 3],
      [2, 5],
    ]);

    it('is found when the later waiter took the row first (PostgreSQL woke both at the commit)', () => {
      expect(overtaking(before, new Map([[1, [2]]]), since)).toEqual([1, 2]);
    });

    it('is not found when the queue kept its order', () => {
      expect(overtaking(before, new Map([[2, [1]]]), since)).toBeNull();
      expect(overtaking(before, new Map(), since)).toBeNull();
    });

    it('is not found when the buyer waited for it before the step, or it was not waiting (it held the lock already)', () => {
      expect(overtaking(new Map([[1, [2]]]), new Map([[1, [2]]]), since)).toBeNull();
      expect(overtaking(new Map([[1, [9]]]), new Map([[1, [2]]]), since)).toBeNull();
    });

    it('is found between two buyers woken by one commit without any queue between them', () => {
      // Both chased the row's new version and waited on its locker's transaction (no tuple lock, no queue).
      const chasers = new Map([
        [1, [9]],
        [2, [9]],
      ]);
      expect(overtaking(chasers, new Map([[1, [2]]]), since)).toEqual([1, 2]);
      expect(overtaking(chasers, new Map([[2, [1]]]), since)).toBeNull();
    });
  });
});
