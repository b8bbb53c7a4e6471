// Development secrets kept under the data directory (git-ignored), generated on first use.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface DevSecrets {
  jwtSecret: string;
  superuserPassword: string;
  authenticatorPassword: string;
}

const fresh = (): string => randomBytes(32).toString('base64url');

export function loadDevSecrets(dataDir: string): DevSecrets {
  // traversable: as root the embedded cluster runs as the 'postgres' user and must reach dataDir/pgdata;
  // the secrets file itself is 0600
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  const file = join(dataDir, 'secrets.json');
  const existing: Partial<DevSecrets> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const secrets: DevSecrets = {
    jwtSecret: existing.jwtSecret ?? fresh(),
    superuserPassword: existing.superuserPassword ?? fresh(),
    authenticatorPassword: existing.authenticatorPassword ?? fresh(),
  };
  if (JSON.stringify(existing) !== JSON.stringify(secrets)) {
    writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  }
  return secrets;
}
