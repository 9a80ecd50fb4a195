import type { ConfinedRole, LabHandle, LabInfo } from '../engine/lab.ts';
import type { SqlConnector } from '../engine/sql-session.ts';

/**
 * The part of a {@link Lab} a worker thread needs to check one strategy: a
 * connector to the lab's database, what the lab learnt of the server, and
 * schema names. The main thread owns the lab itself (creating and dropping
 * the scratch database); the worker only attaches to it.
 */
export class AttachedLab implements LabHandle {
  readonly connector: SqlConnector;
  readonly info: LabInfo;
  readonly confined?: ConfinedRole;
  readonly #serial: number;
  readonly #onSchema: (name: string) => void;

  constructor(
    connector: SqlConnector,
    info: LabInfo,
    serial: number,
    onSchema: (name: string) => void,
    confined?: ConfinedRole,
  ) {
    if (confined) this.confined = confined;
    this.connector = connector;
    this.info = info;
    this.#serial = serial;
    this.#onSchema = onSchema;
  }

  /** Like Lab's, with the main thread's serial; the supervisor learns the name to drop it if the worker dies. */
  nextSchemaName(strategyName: string): string {
    const slug = strategyName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .slice(0, 30);
    const name = `s${this.#serial}_${process.pid}_${slug}`;
    this.#onSchema(name);
    return name;
  }
}
