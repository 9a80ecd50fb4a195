import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What the hostile submissions aim at: things outside their sandbox that must stay as they are. */
export interface Canaries {
  /** A file that holds a secret: reading it must fail. */
  readonly secretFile: string;
  readonly secret: string;
  /** A file that must keep its content: writing or deleting it must fail. */
  readonly keepFile: string;
  /** A file that must never appear: spawning `touch` on it must fail. */
  readonly markerFile: string;
  /** The PostgreSQL server's port on 127.0.0.1 and the folder of its Unix socket, if any. */
  readonly port: number;
  readonly socketDir: string | null;
}

/** A correct purchase (guarded UPDATE, checked row count) that hostile code runs after its attack fails. */
const guardedPurchase = `
    const updated = await db.query(
      'UPDATE events SET remaining = remaining - $2 WHERE event_id = $1 AND remaining >= $2',
      [eventId, quantity],
    );
    if (updated.rowCount === 0) return 'sold-out';
    await db.query('INSERT INTO tickets (event_id, buyer_id, quantity) VALUES ($1, $2, $3)', [eventId, buyerId, quantity]);
    return 'purchased';`;

function strategy(name: string, imports: string, attack: string): string {
  return `${imports}
export default {
  name: '${name}',
  async purchase(db, { eventId, buyerId, quantity }) {
${attack}
${guardedPurchase}
  },
};
`;
}

/**
 * Writes one submission per attack into `folder` (student = file name). Each
 * attack that got through leaves a sign the test can see: a secret in its
 * error, a changed or new file, a row changed; one that is refused falls back
 * to a correct purchase, or (for attacks on its own process) ends it.
 */
export async function writeHostileSubmissions(folder: string, canaries: Canaries): Promise<string[]> {
  const files: Record<string, string> = {
    'reads-files.ts': strategy(
      'reads-files',
      "import { readFileSync } from 'node:fs';",
      `    for (const path of [${JSON.stringify(canaries.secretFile)}, '/etc/passwd', '/root/.ssh/id_rsa', '/proc/1/environ']) {
      let text = null;
      try { text = readFileSync(path, 'utf8'); } catch {}
      if (text !== null) throw new Error('LEAKED ' + path + ': ' + text.slice(0, 80));
    }`,
    ),
    'writes-files.ts': strategy(
      'writes-files',
      "import { writeFileSync, rmSync } from 'node:fs';",
      `    try { writeFileSync(${JSON.stringify(canaries.keepFile)}, 'overwritten'); } catch {}
    try { rmSync(${JSON.stringify(canaries.keepFile)}); } catch {}
    try { writeFileSync('/tmp/oversold-student-was-here', 'x'); } catch {}`,
    ),
    'spawns.ts': strategy(
      'spawns',
      "import { execSync } from 'node:child_process';",
      `    try { execSync('touch ${canaries.markerFile}'); } catch {}
    try { process.dlopen({ exports: {} }, '/usr/lib/x86_64-linux-gnu/libc.so.6'); } catch {}`,
    ),
    'opens-sockets.ts': strategy(
      'opens-sockets',
      "import { connect } from 'node:net';",
      `    const tryConnect = (options) => new Promise((resolve) => {
      const socket = connect(options, () => { socket.destroy(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (await tryConnect({ host: '127.0.0.1', port: ${canaries.port} })) throw new Error('CONNECTED over TCP');
    ${canaries.socketDir ? `if (await tryConnect({ path: ${JSON.stringify(`${canaries.socketDir}/.s.PGSQL.${canaries.port}`)} })) throw new Error('CONNECTED over the Unix socket');` : ''}
    if (await tryConnect({ host: '1.1.1.1', port: 80 })) throw new Error('CONNECTED to the internet');`,
    ),
    'busy-loop.ts': strategy('busy-loop', '', '    for (;;) {}'),
    'allocates.ts': strategy(
      'allocates',
      '',
      "    const hoard = []; for (;;) hoard.push('x'.repeat(1024) + hoard.length);",
    ),
    'exits.ts': strategy('exits', '', '    process.exit(0);'),
    'hangs-at-load.ts': `await new Promise(() => setInterval(() => {}, 1000));\nexport default { async purchase() { return 'purchased'; } };\n`,
    'tampers-with-harness.ts': strategy(
      'tampers-with-harness',
      '',
      `    for (const statement of [
      'DROP SCHEMA oversold CASCADE',
      "CREATE OR REPLACE FUNCTION oversold.pause(label text) RETURNS void LANGUAGE sql AS 'SELECT'",
      'ALTER ROLE CURRENT_USER SUPERUSER',
      "ALTER ROLE postgres PASSWORD 'stolen'",
      'ALTER TABLE events DROP CONSTRAINT IF EXISTS events_remaining_check',
      'CREATE TRIGGER t BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION oversold.pause()',
      'SET ROLE postgres',
      'DROP DATABASE postgres',
    ]) {
      try { await db.query(statement); } catch { await db.query('ROLLBACK').catch(() => {}); }
    }`,
    ),
    'copy-to-program.sql': `-- A .sql submission whose install runs a shell command on the server.
COPY (SELECT 1) TO PROGRAM 'touch ${canaries.markerFile}';
CREATE FUNCTION purchase(p_event_id int, p_buyer_id int, p_quantity int) RETURNS text
LANGUAGE sql AS $$ SELECT 'purchased' $$;
`,
    'reads-server-files.sql': `-- A .sql submission that reads the server's files and other databases.
CREATE FUNCTION purchase(p_event_id int, p_buyer_id int, p_quantity int) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  RETURN 'LEAKED ' || pg_read_file('${canaries.secretFile}');
END $$;
`,
    'does-not-load.ts': "export default { name: 'does-not-load', purchase: 'not a function' };\n",
  };
  await mkdir(folder, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(folder, name), text);
  return Object.keys(files).map((name) => name.replace(/\.(ts|sql)$/, ''));
}
