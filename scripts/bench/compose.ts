// The docker compose the benchmarks compare with: the plugin, else docker-compose (v1), else
// Debian's docker-compose package, installed once when running as root (idempotent).
import { spawnSync } from 'node:child_process';

export function composeCommand(): string[] | undefined {
  if (spawnSync('docker', ['compose', 'version']).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version']).status === 0) return ['docker-compose'];
  if (process.getuid?.() === 0 && spawnSync('apt-get', ['install', '-y', '-qq', 'docker-compose'], { stdio: 'ignore' }).status === 0) return ['docker-compose'];
  return undefined;
}
