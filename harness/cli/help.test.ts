import { describe, expect, it } from 'vitest';
import { main } from './cli.ts';

async function help(command: string): Promise<string> {
  let text = '';
  const io = {
    out: (line: string) => {
      text += `${line}\n`;
    },
    err: (line: string) => {
      text += `${line}\n`;
    },
    env: { PATH: '' },
    width: 200,
    color: false,
  };
  expect(await main([command, '--help'], io)).toBe(0);
  return text;
}

describe('--help', () => {
  it('shows defaults as people type them', async () => {
    const check = await help('check');
    expect(check).toMatch(/--capacity <range> +initial stock range \(default: 1\.\.3\)/);
    expect(check).toMatch(/--quantity <range> +units per buyer \(default: 1\.\.2\)/);
    expect(check).toMatch(/paths +strategy files or folders \(default: strategies\)/);
    // Commander wraps at the terminal's width: compare with the wrapping undone.
    expect((await help('bench')).replace(/\s+/g, ' ')).toContain('(default: 1,8,32,128)');
    expect(await help('explore')).toMatch(
      /--preemptions <k\|all> +most preemptions per interleaving \(default: all\)\n/,
    );
    for (const command of ['check', 'replay', 'explore', 'spec', 'bench', 'list']) {
      expect(await help(command)).not.toMatch(/default: [[{]|default: null/);
    }
  });

  it('ends with examples for every command, as they must be typed', async () => {
    for (const command of ['check', 'replay', 'explore', 'spec', 'bench', 'list']) {
      const text = await help(command);
      const examples = text.split('Examples:\n')[1]?.trimEnd().split('\n') ?? [];
      expect(examples.length, command).toBeGreaterThanOrEqual(2);
      // PATH is empty here: no oversold on it.
      for (const line of examples) expect(line).toMatch(new RegExp(`^  npx oversold ${command}\\b`));
    }
  });
});
