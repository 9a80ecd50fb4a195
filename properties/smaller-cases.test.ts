import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InventoryCase } from '../harness/scenarios/inventory-scenario.ts';
import type { TicketCase } from '../harness/scenarios/tickets-scenario.ts';
import { ticketCaseArbitrary } from './case-arbitrary.ts';
import { defaultCaseRanges } from './case-ranges.ts';
import { inventoryCaseArbitrary } from './inventory-arbitrary.ts';
import { caseSize, smallerCases } from './smaller-cases.ts';

const tickets = (capacity: number, ...quantities: number[]): TicketCase => ({
  capacity,
  buyers: quantities.map((quantity, index) => ({ id: index + 1, quantity })),
});

describe('smaller cases', () => {
  it('measure a case as its stock, its buyers and their units', () => {
    expect(caseSize(tickets(2, 1, 2))).toBe(2 + 2 + 3);
    expect(caseSize({ buyers: [{ id: 1 }] })).toBeNull();
  });

  it('start with the smallest: capacity 2 with 1 + 2 units goes down to capacity 1 with 1 + 1 at once', () => {
    const [first, ...rest] = smallerCases(tickets(2, 1, 2), defaultCaseRanges);
    expect(first).toEqual({ kase: tickets(1, 1, 1), kept: [1, 2], size: 5 });
    expect(rest.map((smaller) => smaller.kase)).toEqual([tickets(1, 1, 2), tickets(2, 1, 1)]);
  });

  it('drop each buyer in turn, numbering the rest from 1', () => {
    const found = [...smallerCases(tickets(1, 1, 1, 1), defaultCaseRanges)];
    expect(found.map(({ kept }) => kept)).toEqual([
      [1, 2],
      [1, 3],
      [2, 3],
    ]);
    for (const { kase } of found) expect(kase).toEqual(tickets(1, 1, 1));
  });

  it('stay inside the ranges: never fewer buyers, less stock or fewer units than they allow', () => {
    const ranges = { capacity: { min: 2, max: 3 }, buyers: { min: 3, max: 4 }, quantity: { min: 2, max: 2 } };
    const found = [...smallerCases(tickets(3, 2, 2, 2, 2), ranges)];
    expect(found.map(({ kase }) => kase)).toEqual([
      tickets(2, 2, 2, 2),
      tickets(2, 2, 2, 2),
      tickets(2, 2, 2, 2),
      tickets(2, 2, 2, 2),
      tickets(3, 2, 2, 2),
      tickets(3, 2, 2, 2),
      tickets(3, 2, 2, 2),
      tickets(3, 2, 2, 2),
      tickets(2, 2, 2, 2, 2),
    ]);
  });

  it('list every smaller ticket case once, smallest first', () => {
    fc.assert(
      fc.property(ticketCaseArbitrary(), (kase) => {
        const found = [...smallerCases(kase, defaultCaseRanges)];
        const sizes = found.map((smaller) => smaller.size);
        expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
        const keys = found.map(({ kase: smaller, kept }) => JSON.stringify([smaller, kept]));
        expect(new Set(keys).size).toBe(keys.length);
        // Brute force: every subsequence of buyers, every capacity and quantity below.
        let expected = 0;
        const count = kase.buyers.length;
        for (let mask = 1; mask < 1 << count; mask++) {
          const kept = kase.buyers.filter((_, index) => (mask >> index) & 1);
          if (kept.length < defaultCaseRanges.buyers.min) continue;
          const ways = kept.reduce((product, buyer) => product * buyer.quantity, kase.capacity);
          expected += ways - (kept.length === count ? 1 : 0);
        }
        expect(found.length).toBe(expected);
        for (const { kase: smaller, kept, size } of found) {
          expect(size).toBe(caseSize(smaller));
          expect(size).toBeLessThan(caseSize(kase)!);
          expect((smaller as TicketCase).capacity).toBeLessThanOrEqual(kase.capacity);
          expect(smaller.buyers.map((buyer) => buyer.id)).toEqual(kept.map((_, index) => index + 1));
          for (const [index, buyer] of (smaller as TicketCase).buyers.entries()) {
            expect(buyer.quantity).toBeLessThanOrEqual(kase.buyers[kept[index]! - 1]!.quantity);
          }
        }
      }),
    );
  });

  it('let an inventory cart lose lines, keeping the items and their order', () => {
    const kase: InventoryCase = {
      items: [
        { id: 201, stock: 1 },
        { id: 202, stock: 1 },
      ],
      buyers: [
        {
          id: 1,
          lines: [
            { itemId: 202, quantity: 1 },
            { itemId: 201, quantity: 1 },
          ],
        },
        {
          id: 2,
          lines: [
            { itemId: 201, quantity: 1 },
            { itemId: 202, quantity: 1 },
          ],
        },
        { id: 3, lines: [{ itemId: 201, quantity: 1 }] },
      ],
    };
    const found = [...smallerCases(kase, defaultCaseRanges)];
    expect(found[0]).toEqual({
      kase: {
        items: kase.items,
        buyers: [
          { id: 1, lines: [{ itemId: 202, quantity: 1 }] },
          { id: 2, lines: [{ itemId: 201, quantity: 1 }] },
        ],
      },
      kept: [1, 2],
      size: 6,
    });
    // The deadlock's own case, two carts in opposite orders, comes before any case of three buyers.
    const opposite = found.findIndex(
      ({ kase: smaller }) =>
        JSON.stringify(smaller) === JSON.stringify({ items: kase.items, buyers: kase.buyers.slice(0, 2) }),
    );
    const three = found.findIndex(({ kept }) => kept.length === 3);
    expect(opposite).toBeGreaterThan(0);
    expect(opposite).toBeLessThan(three);
  });

  it('leave out an item that no kept cart asks for, down to two items', () => {
    const items = [
      { id: 201, stock: 1 },
      { id: 202, stock: 1 },
      { id: 203, stock: 1 },
    ];
    const kase: InventoryCase = {
      items,
      buyers: [
        {
          id: 1,
          lines: [
            { itemId: 203, quantity: 1 },
            { itemId: 201, quantity: 1 },
          ],
        },
        {
          id: 2,
          lines: [
            { itemId: 201, quantity: 1 },
            { itemId: 202, quantity: 1 },
            { itemId: 203, quantity: 1 },
          ],
        },
      ],
    };
    const found = [...smallerCases(kase, defaultCaseRanges)].map((smaller) => smaller.kase as InventoryCase);
    // The deadlock of two carts in opposite orders, on the two items they share.
    expect(found).toContainEqual({
      items: [items[0], items[2]],
      buyers: [
        {
          id: 1,
          lines: [
            { itemId: 203, quantity: 1 },
            { itemId: 201, quantity: 1 },
          ],
        },
        {
          id: 2,
          lines: [
            { itemId: 201, quantity: 1 },
            { itemId: 203, quantity: 1 },
          ],
        },
      ],
    });
    expect(found.every((smaller) => smaller.items.length >= 2)).toBe(true);
  });

  it('keep every inventory line inside the case it came from', () => {
    fc.assert(
      fc.property(inventoryCaseArbitrary(), (kase) => {
        // The first few hundred: a case of four carts has tens of thousands below it.
        for (const { kase: smaller, kept } of take(smallerCases(kase, defaultCaseRanges), 300)) {
          const inventory = smaller as InventoryCase;
          const ids = inventory.items.map((item) => item.id);
          expect(ids.length).toBeGreaterThanOrEqual(Math.min(2, kase.items.length));
          expect(kase.items.map((item) => item.id).filter((id) => ids.includes(id))).toEqual(ids);
          for (const [index, buyer] of inventory.buyers.entries()) {
            const original = kase.buyers[kept[index]! - 1]!.lines;
            expect(buyer.lines.length).toBeGreaterThan(0);
            let from = 0;
            for (const line of buyer.lines) {
              expect(ids).toContain(line.itemId);
              const at = original.findIndex(
                (candidate, position) => position >= from && candidate.itemId === line.itemId,
              );
              expect(at).toBeGreaterThanOrEqual(0);
              expect(line.quantity).toBeLessThanOrEqual(original[at]!.quantity);
              from = at + 1;
            }
          }
        }
      }),
      { numRuns: 30 },
    );
  });
});

function* take<Value>(values: Iterable<Value>, count: number): Generator<Value> {
  if (count <= 0) return;
  for (const value of values) {
    yield value;
    if (--count <= 0) return;
  }
}
