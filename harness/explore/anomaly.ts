import type { TraceEvent } from '../engine/trace.ts';

interface Access {
  readonly buyer: number;
  /** Position of the statement's completion in the trace. */
  readonly at: number;
  readonly kind: 'read' | 'locking-read' | 'update' | 'insert';
  readonly tables: readonly string[];
  /** The buyer's transaction: statements outside a block are each their own. */
  readonly transaction: number;
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
  // A race: buyer a read, buyer b wrote, then a wrote what it decided from its read.
  const races: { a: number; b: number; read: Access; write: Access; other: Access }[] = [];
  for (const a of buyers) {
    for (const b of buyers) {
      if (a === b) continue;
      for (const read of reads(a)) {
        const write = writes(a).find((candidate) => candidate.at > read.at);
        const other = writes(b).find(
          (candidate) => candidate.at > read.at && write && candidate.at < write.at,
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
  for (const race of races) {
    const mirror = races.find((other) => other.a === race.b && other.b === race.a);
    if (!mirror) continue;
    const shared = race.write.tables.find(
      (table) => mirror.write.tables.includes(table) && race.read.tables.includes(table),
    );
    if (
      shared &&
      race.write.kind === 'update' &&
      mirror.write.kind === 'update' &&
      race.write.absolute &&
      mirror.write.absolute
    ) {
      return `lost update: buyers ${race.a} and ${race.b} each read ${shared} before the other's write and wrote back a value computed from that read, so one decrement overwrote the other`;
    }
  }
  const elsewhere = races.find((race) => race.read.transaction !== race.write.transaction);
  if (elsewhere) {
    return `check in another transaction: buyer ${elsewhere.a} checked ${elsewhere.read.tables.join(', ')} in one transaction and wrote in another, and buyer ${elsewhere.b}'s write came in between`;
  }
  for (const race of races) {
    if (races.some((other) => other.a === race.b && other.b === race.a)) {
      return `write skew: buyers ${race.a} and ${race.b} each read ${race.read.tables.join(', ')} before the other's write, then each wrote (${race.write.kind === 'insert' ? 'inserted' : 'updated'} ${race.write.tables.join(', ')}), so neither decision saw the other`;
    }
  }
  const race = races[0];
  if (race) {
    return `read-check-write race: buyer ${race.b}'s write to ${race.other.tables.join(', ')} came between buyer ${race.a}'s read and its write`;
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
      inBlock.set(buyer, false);
      return;
    }
    if (!inBlock.get(buyer)) transaction.set(buyer, ++serial);
    const current = transaction.get(buyer) ?? 0;
    const tables = tablesOf(sql);
    if (tables.length === 0) return;
    const base = { buyer, at, tables, transaction: current };
    if (/^(with .*\) )?update /.test(sql) || /^update /.test(sql)) {
      accesses.push({ ...base, kind: 'update', absolute: !/set (\w+) = (greatest\()?\(?\1 [-+]/.test(sql) });
    } else if (/\binsert into\b/.test(sql)) {
      accesses.push({ ...base, kind: 'insert', absolute: false });
    } else if (/^(select|with)\b/.test(sql)) {
      const locking = /\bfor (update|no key update|share|key share)\b/.test(sql);
      accesses.push({ ...base, kind: locking ? 'locking-read' : 'read', absolute: false });
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
