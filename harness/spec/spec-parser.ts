/**
 * A parser for PostgreSQL's isolation test specs (src/test/isolation/specparse.y
 * and specscanner.l), reading them exactly as isolationtester does.
 */

export interface SpecStep {
  readonly name: string;
  /** The SQL between the braces, as isolationtester keeps and prints it. */
  readonly sql: string;
  /** Index of the session the step belongs to. */
  readonly session: number;
}

export interface SpecSession {
  readonly name: string;
  readonly setup: string | undefined;
  readonly teardown: string | undefined;
  readonly steps: readonly SpecStep[];
}

/**
 * A permutation step's annotation: `(*)` reports the step as waiting once;
 * `(other)` holds its completion back while step `other` is still running;
 * `(other notices N)` until `other`'s session has sent N more notices.
 */
export type SpecBlocker =
  | { readonly kind: 'once' }
  | { readonly kind: 'step'; readonly step: string }
  | { readonly kind: 'notices'; readonly step: string; readonly count: number };

export interface PermutationStep {
  readonly name: string;
  readonly blockers: readonly SpecBlocker[];
}

export interface TestSpec {
  readonly setups: readonly string[];
  readonly teardown: string | undefined;
  readonly sessions: readonly SpecSession[];
  /** Empty when the spec lists no permutation: then every ordering runs. */
  readonly permutations: readonly (readonly PermutationStep[])[];
  /** What isolationtester writes to stderr while checking the spec (`unused step name: …`). */
  readonly warnings: readonly string[];
}

/** A spec isolationtester would refuse, with its message. */
export class SpecSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecSyntaxError';
  }
}

type Token =
  | { kind: 'keyword'; value: 'permutation' | 'session' | 'setup' | 'step' | 'teardown' | 'notices' }
  | { kind: 'identifier'; value: string }
  | { kind: 'integer'; value: number }
  | { kind: 'sql'; value: string }
  | { kind: 'punct'; value: '(' | ')' | ',' | '*' }
  | { kind: 'end'; value: '' };

const keywords = new Set(['permutation', 'session', 'setup', 'step', 'teardown', 'notices']);

/** Splits a spec into tokens with their line numbers, as specscanner.l does. */
function tokenize(text: string): { token: Token; line: number }[] {
  const tokens: { token: Token; line: number }[] = [];
  let line = 1;
  let at = 0;
  while (at < text.length) {
    const char = text[at]!;
    if (char === '\n') {
      line++;
      at++;
    } else if (char === ' ' || char === '\t' || char === '\r' || char === '\f') {
      at++;
    } else if (char === '#') {
      while (at < text.length && text[at] !== '\n' && text[at] !== '\r') at++;
    } else if (char === '{') {
      // The block starts after the spaces that follow '{' and ends before the
      // spaces that precede the first '}'; newlines are kept.
      const start = line;
      at++;
      while (at < text.length && /[ \t\r\f]/.test(text[at]!)) at++;
      const close = text.indexOf('}', at);
      if (close < 0) throw new SpecSyntaxError(`unterminated sql block at line ${line}`);
      const sql = text.slice(at, close).replace(/[ \t\r\f]+$/, '');
      for (const c of text.slice(at, close)) if (c === '\n') line++;
      tokens.push({ token: { kind: 'sql', value: sql }, line: start });
      at = close + 1;
    } else if (char === '"') {
      const close = text.indexOf('"', at + 1);
      const newline = text.indexOf('\n', at + 1);
      if (close < 0) throw new SpecSyntaxError(`unterminated quoted identifier at line ${line}`);
      if (newline >= 0 && newline < close) {
        throw new SpecSyntaxError(`unexpected newline in quoted identifier at line ${line}`);
      }
      tokens.push({ token: { kind: 'identifier', value: text.slice(at + 1, close) }, line });
      at = close + 1;
    } else if (/[A-Za-z_]/.test(char)) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(at))![0];
      tokens.push({
        token: keywords.has(word)
          ? ({ kind: 'keyword', value: word } as Token)
          : { kind: 'identifier', value: word },
        line,
      });
      at += word.length;
    } else if (/[0-9]/.test(char)) {
      const digits = /^[0-9]+/.exec(text.slice(at))![0];
      tokens.push({ token: { kind: 'integer', value: Number(digits) }, line });
      at += digits.length;
    } else if (char === '(' || char === ')' || char === ',' || char === '*') {
      tokens.push({ token: { kind: 'punct', value: char }, line });
      at++;
    } else {
      throw new SpecSyntaxError(`syntax error at line ${line}: unexpected character "${char}"`);
    }
  }
  tokens.push({ token: { kind: 'end', value: '' }, line });
  return tokens;
}

/** Parses a spec's text; throws {@link SpecSyntaxError} where isolationtester would stop. */
export function parseSpec(text: string): TestSpec {
  const tokens = tokenize(text);
  let at = 0;
  const peek = (): Token => tokens[at]!.token;
  const fail = (what: string): never => {
    const { token, line } = tokens[at]!;
    const got = token.kind === 'end' ? 'end of file' : `"${String(token.value)}"`;
    throw new SpecSyntaxError(`syntax error at line ${line}: expected ${what}, got ${got}`);
  };
  const isKeyword = (value: string): boolean => peek().kind === 'keyword' && peek().value === value;
  const sqlBlock = (): string => {
    const token = peek();
    if (token.kind !== 'sql') return fail('a { sql } block');
    at++;
    return token.value as string;
  };
  const identifier = (): string => {
    const token = peek();
    if (token.kind !== 'identifier') return fail('a name');
    at++;
    return token.value as string;
  };
  const punct = (value: string): boolean => {
    const token = peek();
    if (token.kind === 'punct' && token.value === value) {
      at++;
      return true;
    }
    return false;
  };

  const setups: string[] = [];
  while (isKeyword('setup')) {
    at++;
    setups.push(sqlBlock());
  }
  let teardown: string | undefined;
  if (isKeyword('teardown')) {
    at++;
    teardown = sqlBlock();
  }
  const sessions: SpecSession[] = [];
  while (isKeyword('session')) {
    at++;
    const name = identifier();
    let setup: string | undefined;
    if (isKeyword('setup')) {
      at++;
      setup = sqlBlock();
    }
    const steps: SpecStep[] = [];
    while (isKeyword('step')) {
      at++;
      const stepName = identifier();
      steps.push({ name: stepName, sql: sqlBlock(), session: sessions.length });
    }
    if (steps.length === 0) fail('a step');
    let sessionTeardown: string | undefined;
    if (isKeyword('teardown')) {
      at++;
      sessionTeardown = sqlBlock();
    }
    sessions.push({ name, setup, teardown: sessionTeardown, steps });
  }
  if (sessions.length === 0) fail('a session');
  const permutations: PermutationStep[][] = [];
  while (isKeyword('permutation')) {
    at++;
    const steps: PermutationStep[] = [];
    while (peek().kind === 'identifier') {
      const name = identifier();
      const blockers: SpecBlocker[] = [];
      if (punct('(')) {
        do {
          if (punct('*')) blockers.push({ kind: 'once' });
          else {
            const step = identifier();
            if (isKeyword('notices')) {
              at++;
              const count = peek();
              if (count.kind !== 'integer') fail('a number of notices');
              at++;
              blockers.push({ kind: 'notices', step, count: count.value as number });
            } else blockers.push({ kind: 'step', step });
          }
        } while (punct(','));
        if (!punct(')')) fail('")"');
      }
      steps.push({ name, blockers });
    }
    if (steps.length === 0) fail('a step name');
    permutations.push(steps);
  }
  if (peek().kind !== 'end') fail('"permutation"');
  return { setups, teardown, sessions, permutations, warnings: check(sessions, permutations) };
}

/** check_testspec(): unique step names, known steps and blockers; warns of unused steps. */
function check(sessions: readonly SpecSession[], permutations: readonly PermutationStep[][]): string[] {
  const all = sessions.flatMap((session) => session.steps);
  const byName = new Map<string, SpecStep>();
  for (const step of all) {
    if (byName.has(step.name)) throw new SpecSyntaxError(`duplicate step name: ${step.name}`);
    byName.set(step.name, step);
  }
  const used = new Set<string>();
  for (const permutation of permutations) {
    for (const pstep of permutation) {
      const step = byName.get(pstep.name);
      if (!step) throw new SpecSyntaxError(`undefined step "${pstep.name}" specified in permutation`);
      used.add(pstep.name);
      for (const blocker of pstep.blockers) {
        if (blocker.kind === 'once') continue;
        const other = permutation.find((candidate) => candidate.name === blocker.step);
        if (!other) {
          throw new SpecSyntaxError(
            `undefined blocking step "${blocker.step}" referenced in permutation step "${pstep.name}"`,
          );
        }
        if (byName.get(other.name)?.session === step.session) {
          throw new SpecSyntaxError(`permutation step "${pstep.name}" cannot block on its own session`);
        }
      }
    }
  }
  if (permutations.length === 0) return [];
  // isolationtester sorts the steps with strcmp: compare bytes, not locale.
  const names = all.map((step) => step.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.filter((name) => !used.has(name)).map((name) => `unused step name: ${name}`);
}

/** Every ordering of the sessions' steps, in isolationtester's order (run_all_permutations). */
export function allPermutations(spec: TestSpec): PermutationStep[][] {
  const result: PermutationStep[][] = [];
  const piles = spec.sessions.map(() => 0);
  const chosen: PermutationStep[] = [];
  const recurse = (): void => {
    let found = false;
    spec.sessions.forEach((session, index) => {
      const next = session.steps[piles[index]!];
      if (!next) return;
      found = true;
      chosen.push({ name: next.name, blockers: [] });
      piles[index]!++;
      recurse();
      piles[index]!--;
      chosen.pop();
    });
    if (!found) result.push([...chosen]);
  };
  recurse();
  return result;
}
