/**
 * Whether to colour output, as Node itself decides (tty.getColorDepth):
 * FORCE_COLOR wins (0 or false turns colour off, any other value on), then
 * NO_COLOR turns it off when set and not empty (no-color.org), then colour
 * only on a terminal that is not TERM=dumb.
 */
export function wantsColor(env: Readonly<Record<string, string | undefined>>, isTTY: boolean): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY && env.TERM !== 'dumb';
}
