// Health of live containers, and of a sandbox from its containers (Argo CD's pkg/health model:
// health says whether what runs works, independent of whether it matches the spec).
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
