import type { TraceEvent } from '../engine/trace.ts';

interface Access {
  readonly buyer: number;
  /** Position of the statement's completion in the trace. */
  readonly at: number;
  readonly kind: 'read' | 'locking-read' | 'update' | 'insert';
  readonly tables: readonly string[];
  /** The buyer's transaction: statements outside a block are each their own. */
  readonly transaction: number;
  /** When other transactions could first see this write: its transaction's COMMIT (never, if rolled back). */
  visibleAt: number;
  /** An UPDATE that writes a value computed in code (`SET x = $2`), not from the row (`x = x - $2`). */
  readonly absolute: boolean;
}

/**
 * Names the anomaly a failing interleaving shows, in one sentence, from its
 * trace alone: lost update, write skew, a lock released too early, a check
 * in another transaction, or an error. Null when the trace shows no race
 * between buyers' statements (a single SQL call with barriers, for example).
 */
export function nameAnomaly(trace: readonly TraceEvent[]): string | null {
  const accesses = accessesOf(trace);
  const buyers = [...new Set(accesses.map((access) => access.buyer))].sort((a, b) => a - b);
  const reads = (buyer: number) =>
    accesses.filter((a) => a.buyer === buyer && (a.kind === 'read' || a.kind === 'locking-read'));
  const writes = (buyer: number) =>
    accesses.filter((a) => a.buyer === buyer && (a.kind === 'update' || a.kind === 'insert'));
  // A race: buyer a read, buyer b's write became visible, then a wrote what it decided from its read.
  const races: { a: number; b: number; read: Access; write: Access; other: Access }[] = [];
  for (const a of buyers) {
    for (const b of buyers) {
      if (a === b) continue;
      for (const read of reads(a)) {
        const write = writes(a).find((candidate) => candidate.at > read.at);
        const other = writes(b).find(
          (candidate) => write && candidate.visibleAt > read.at && candidate.visibleAt < write.at,
        );
        if (write && other) races.push({ a, b, read, write, other });
      }
    }
  }
  const early = races.find(
    (race) => race.read.kind === 'locking-read' && race.read.transaction !== race.write.transaction,
  );
  if (early) {
    return `lock released too early: buyer ${early.a} locked ${early.read.tables.join(', ')} with a locking read, but that lock ended with its transaction before its write, so buyer ${early.b}'s write came in between`;
  }
  // Each read before the other's write became visible, and both wrote.
  const crossed = (a: number, b: number) => {
    const readA = reads(a)[0];
    const readB = reads(b)[0];
    const writeA = writes(a)[0];
    const writeB = writes(b)[0];
    if (!readA || !readB || !writeA || !writeB) return null;
    if (readA.at < writeB.visibleAt && readB.at < writeA.visibleAt) return { readA, readB, writeA, writeB };
    return null;
  };
  for (const [index, a] of buyers.entries()) {
    for (const b of buyers.slice(index + 1)) {
      const pair = crossed(a, b);
      if (!pair) continue;
      const { readA, readB, writeA, writeB } = pair;
      const table = writeA.tables.find((name) => writeB.tables.includes(name) && readA.tables.includes(name));
      if (
        table &&
        writeA.kind === 'update' &&
        writeB.kind === 'update' &&
        writeA.absolute &&
        writeB.absolute
      ) {
        return `lost update: buyers ${a} and ${b} each read ${table} before the other's write was committed and wrote back a value computed from that read, so one decrement overwrote the other`;
      }
      if (table && writeA.kind === 'update' && writeB.kind === 'update') {
        return `stale check: buyers ${a} and ${b} each checked ${table} before the other's write was committed; both relative updates applied, but each decision to sell came from the stale read`;
      }
      if (readA.transaction === writeA.transaction && readB.transaction === writeB.transaction) {
        return `write skew: buyers ${a} and ${b} each read ${readA.tables.join(', ')} before the other's write was committed, then each wrote (${writeA.kind === 'insert' ? 'inserted into' : 'updated'} ${writeA.tables.join(', ')}), so neither decision saw the other`;
      }
    }
  }
  const elsewhere = races.find((race) => race.read.transaction !== race.write.transaction);
  if (elsewhere) {
    return `check in another transaction: buyer ${elsewhere.a} checked ${elsewhere.read.tables.join(', ')} in one transaction and wrote in another, and buyer ${elsewhere.b}'s write came in between`;
  }
  const race = races[0];
  if (race) {
    return `read-check-write race: buyer ${race.b}'s write to ${race.other.tables.join(', ')} was committed between buyer ${race.a}'s read and its write`;
  }
  const failed = trace.find((event) => event.event === 'failed');
  if (failed && failed.event === 'failed') {
    return `an error, not a lost write: buyer ${failed.buyer}'s statement failed with SQLSTATE ${failed.code} (${failed.message})`;
  }
  return null;
}

function accessesOf(trace: readonly TraceEvent[]): Access[] {
  const accesses: Access[] = [];
  const transaction = new Map<number, number>();
  const inBlock = new Map<number, boolean>();
  /** Writes of each buyer's open transaction, made visible by its COMMIT. */
  const open = new Map<number, Access[]>();
  let serial = 0;
  trace.forEach((event, at) => {
    if (event.event !== 'completed') return;
    const sql = event.sql.replace(/\s+/g, ' ').trim().toLowerCase();
    const buyer = event.buyer;
    if (/^(begin|start transaction)\b/.test(sql)) {
      inBlock.set(buyer, true);
      transaction.set(buyer, ++serial);
      return;
    }
    if (/^(commit|end|rollback|abort)\b/.test(sql) && !/^rollback to/.test(sql)) {
      const committed = /^(commit|end)\b/.test(sql);
      for (const write of open.get(buyer) ?? []) if (committed) write.visibleAt = at;
      open.set(buyer, []);
      inBlock.set(buyer, false);
      return;
    }
    const block = inBlock.get(buyer) === true;
    if (!block) transaction.set(buyer, ++serial);
    const tables = tablesOf(sql);
    if (tables.length === 0) return;
    // Inside a block a write is visible at COMMIT (never, until one comes); in autocommit at once.
    const base = {
      buyer,
      at,
      tables,
      transaction: transaction.get(buyer) ?? 0,
      visibleAt: block ? Infinity : at,
    };
    let access: Access | null = null;
    if (/^update /.test(sql) || /^with .* update /.test(sql)) {
      access = { ...base, kind: 'update', absolute: !/set (\w+) = (greatest\()?\(?\1 [-+]/.test(sql) };
    } else if (/\binsert into\b/.test(sql)) {
      access = { ...base, kind: 'insert', absolute: false };
    } else if (/^(select|with)\b/.test(sql)) {
      const locking = /\bfor (update|no key update|share|key share)\b/.test(sql);
      access = { ...base, kind: locking ? 'locking-read' : 'read', absolute: false };
    }
    if (!access) return;
    accesses.push(access);
    if (block && (access.kind === 'update' || access.kind === 'insert')) {
      open.set(buyer, [...(open.get(buyer) ?? []), access]);
    }
  });
  return accesses;
}

function tablesOf(sql: string): string[] {
  const tables = new Set<string>();
  for (const match of sql.matchAll(/\b(?:from|join|update|into)\s+([a-z_][a-z0-9_.]*)/g)) {
    const name = match[1]!;
    if (name !== 'select' && name !== 'lateral') tables.add(name);
  }
  return [...tables];
}
