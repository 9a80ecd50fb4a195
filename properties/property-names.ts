/** The properties oversold checks, in report order. */
export const PROPERTY_NAMES = ['no-oversell', 'honest-outcome', 'no-undersell', 'no-errors'] as const;

export type PropertyName = (typeof PROPERTY_NAMES)[number];

export function isPropertyName(name: string): name is PropertyName {
  return (PROPERTY_NAMES as readonly string[]).includes(name);
}
