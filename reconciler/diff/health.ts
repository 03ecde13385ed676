// Health of live containers, and of a sandbox from its containers (Argo CD's pkg/health model:
// health says whether what runs works, independent of whether it matches the spec).
import type { HealthStatus } from '../../schema/api.ts';
import type { LiveContainer } from '../../schema/protocol.ts';

export type ContainerHealth = 'Healthy' | 'Progressing' | 'Degraded' | 'Missing';

/** Docker state + Docker health (or the agent's probe) -> health of one container. */
export function containerHealth(live: LiveContainer | undefined): ContainerHealth {
  if (!live) return 'Missing';
  switch (live.state) {
    case 'running':
      if (live.health === 'unhealthy') return 'Degraded';
      if (live.health === 'starting') return 'Progressing';
      return 'Healthy';
    case 'created':
    case 'removing':
      return 'Progressing';
    default:
      // exited, dead, paused, restarting (a crash loop): not serving
      return 'Degraded';
  }
}

/**
 * A sandbox's health from its desired containers' health: Missing only when none of them exists,
 * Degraded when any is down or missing while others run, then Progressing, else Healthy.
 */
export function aggregateHealth(parts: readonly ContainerHealth[]): HealthStatus {
  if (parts.length > 0 && parts.every((h) => h === 'Missing')) return 'Missing';
  if (parts.some((h) => h === 'Degraded' || h === 'Missing')) return 'Degraded';
  if (parts.some((h) => h === 'Progressing')) return 'Progressing';
  return 'Healthy';
}
