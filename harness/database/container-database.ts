import { onInterrupt } from './exit-cleanup.ts';
import { DatabaseUnavailableError, type StartedDatabase } from './started-database.ts';

/** Starts PostgreSQL in a container through testcontainers (needs Docker or Podman). */
export async function startContainerDatabase(image = 'postgres:16-alpine'): Promise<StartedDatabase> {
  let container: { getConnectionUri(): string; stop(): Promise<unknown> };
  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    container = await new PostgreSqlContainer(image).start();
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    const noRuntime = /container runtime|docker|podman|ENOENT|ECONNREFUSED|socket/i.test(reason ?? '');
    throw new DatabaseUnavailableError(
      noRuntime
        ? `--db container: no container runtime was found (${reason}); start Docker or Podman, or use --db embedded or --database-url`
        : `--db container: could not start ${image} (${reason}); use --db embedded or --database-url`,
      { cause: error },
    );
  }
  // Every caller (dispose, Ctrl-C) waits for the same, single shutdown.
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= shutdown();
    return stopping;
  };
  const shutdown = async (): Promise<void> => {
    unregister();
    await container.stop().catch(() => {});
  };
  const unregister = onInterrupt(stop);
  return { source: 'container', url: container.getConnectionUri(), stop, [Symbol.asyncDispose]: stop };
}
