// TEST_PG=container: a throw-away PostgreSQL in Docker through testcontainers (needs a Docker engine).
import { GenericContainer, Wait } from 'testcontainers';

export async function PostgreSqlContainer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const image = process.env.TEST_PG_IMAGE ?? 'postgres:18';
  const c = await new GenericContainer(image)
    .withEnvironment({ POSTGRES_PASSWORD: 'test' })
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  return {
    url: `postgres://postgres:test@${c.getHost()}:${c.getMappedPort(5432)}/postgres`,
    stop: async () => void (await c.stop()),
  };
}
