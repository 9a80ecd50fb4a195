import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allPermutations, parseSpec, SpecSyntaxError } from './spec-parser.ts';

const fixtures = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'spec');

describe('parseSpec reads isolationtester specs as specparse.y does', () => {
  it('reads a real spec: setup, teardown, sessions with setup and steps, a permutation', () => {
    const spec = parseSpec(readFileSync(join(fixtures, 'deadlock-simple.spec'), 'utf8'));
    expect(spec.setups).toEqual(['\n  CREATE TABLE a1 ();\n']);
    expect(spec.teardown).toBe('\n  DROP TABLE a1;\n');
    expect(spec.sessions.map((session) => [session.name, session.setup])).toEqual([
      ['s1', 'BEGIN;'],
      ['s2', 'BEGIN;'],
    ]);
    expect(spec.sessions[0]!.steps.map((step) => [step.name, step.sql, step.session])).toEqual([
      ['s1as', 'LOCK TABLE a1 IN ACCESS SHARE MODE;', 0],
      ['s1ae', 'LOCK TABLE a1 IN ACCESS EXCLUSIVE MODE;', 0],
      ['s1c', 'COMMIT;', 0],
    ]);
    expect(spec.permutations).toHaveLength(1);
    expect(spec.permutations[0]!.map((step) => step.name).join(' ')).toBe('s1as s2as s1ae s2ae s1c s2c');
    expect(spec.warnings).toEqual([]);
  });

  it('reads the (*) and (step) markers of a real spec', () => {
    const spec = parseSpec(readFileSync(join(fixtures, 'deadlock-hard.spec'), 'utf8'));
    const steps = spec.permutations[0]!;
    expect(steps.find((step) => step.name === 's7a8')?.blockers).toEqual([{ kind: 'step', step: 's8a1' }]);
    expect(steps.find((step) => step.name === 's8a1')?.blockers).toEqual([{ kind: 'once' }]);
  });

  it('reads quoted names, notices markers and comments; keeps newlines and trims spaces inside braces', () => {
    const spec = parseSpec(`
      # a comment
      session "first one"
      step "a b" {   SELECT 1;  }
      step c {
        SELECT 2;
      }
      session s2
      step d { }
      permutation "a b"(d notices 2, *) d c
    `);
    expect(spec.sessions[0]!.steps.map((step) => step.sql)).toEqual(['SELECT 1;', '\n        SELECT 2;\n']);
    expect(spec.sessions[1]!.steps[0]!.sql).toBe('');
    expect(spec.permutations[0]![0]).toEqual({
      name: 'a b',
      blockers: [{ kind: 'notices', step: 'd', count: 2 }, { kind: 'once' }],
    });
  });

  it('warns of unused steps in strcmp order, as isolationtester does on stderr', () => {
    const spec = parseSpec('session s1 step b { } step a { } step c { } permutation c');
    expect(spec.warnings).toEqual(['unused step name: a', 'unused step name: b']);
  });

  it('refuses what isolationtester refuses, naming the problem', () => {
    expect(() => parseSpec('session s1 step a { } permutation b')).toThrow(
      new SpecSyntaxError('undefined step "b" specified in permutation'),
    );
    expect(() => parseSpec('session s1 step a { } session s2 step a { }')).toThrow('duplicate step name: a');
    expect(() => parseSpec('session s1 step a { } step b { } permutation a(b) b')).toThrow(
      'permutation step "a" cannot block on its own session',
    );
    expect(() => parseSpec('session s1 step a { SELECT 1;')).toThrow('unterminated sql block at line 1');
    expect(() => parseSpec('session s1 step a { } ;')).toThrow('unexpected character ";"');
  });

  it('orders all permutations as run_all_permutations does when none is listed', () => {
    const spec = parseSpec('session s1 step a1 { } step a2 { } session s2 step b1 { }');
    expect(allPermutations(spec).map((steps) => steps.map((step) => step.name).join(' '))).toEqual([
      'a1 a2 b1',
      'a1 b1 a2',
      'b1 a1 a2',
    ]);
  });
});
