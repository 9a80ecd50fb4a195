import { describe, expect, it } from 'vitest';
import { isDriverPreamble } from './driver-preambles.ts';
import { cStrings, FrameReader, PROTOCOL_3, readStartup, startupFrame } from './frames.ts';

const frame = (type: string, body: string) => {
  const bytes = Buffer.from(body, 'utf8');
  const out = Buffer.alloc(5 + bytes.length);
  out.write(type, 0);
  out.writeInt32BE(4 + bytes.length, 1);
  bytes.copy(out, 5);
  return out;
};

describe('protocol frames', () => {
  it('splits typed frames however the bytes arrive, one byte at a time included', () => {
    const stream = Buffer.concat([frame('P', '\0SELECT 1\0\0\0'), frame('B', '\0\0'), frame('S', '')]);
    const reader = new FrameReader(true);
    const seen: string[] = [];
    for (const byte of stream) {
      reader.push(Buffer.from([byte]));
      for (let next = reader.next(); next !== null; next = reader.next())
        seen.push(String.fromCharCode(next[0]!));
    }
    expect(seen).toEqual(['P', 'B', 'S']);
  });

  it("reads a Parse frame's statement name and text", () => {
    expect(cStrings(frame('P', 'stmt1\0SELECT $1\0\0\0'), 2)).toEqual(['stmt1', 'SELECT $1']);
  });

  it('round-trips a StartupMessage', () => {
    const params = new Map([
      ['user', 'postgres'],
      ['database', 'shop'],
      ['options', '-c search_path=a,\\ public'],
    ]);
    const reader = new FrameReader(false);
    reader.push(startupFrame(params));
    const read = readStartup(reader.next()!);
    expect(read.code).toBe(PROTOCOL_3);
    expect(read.params).toEqual(params);
  });
});

describe('driver preambles', () => {
  it('passes what client libraries send on connecting, and no purchase statement', () => {
    expect(isDriverPreamble('select version();')).toBe(true);
    expect(isDriverPreamble('SHOW TIME ZONE')).toBe(true);
    expect(isDriverPreamble('SELECT remaining FROM events WHERE event_id = $1')).toBe(false);
    expect(isDriverPreamble('select version(), remaining from events')).toBe(false);
  });
});
