// Incremental changes from the Docker event stream: containers labelled sdp.managed=true, and any
// container joining or leaving a network (the agent keeps those of its own containers).
import type { Readable } from 'node:stream';
import { LABELS } from '../schema/container.ts';
import type { DockerHost } from './docker/host.ts';
import { sleep } from './docker/health.ts';

/** Actions worth telling the reconciler; exec_*, attach, resize, archive-path... are noise. */
const ACTIONS = new Set(['create', 'start', 'restart', 'die', 'stop', 'pause', 'unpause', 'destroy', 'rename', 'health_status', 'oom']);
/** Network events that change a container's attachments (the caller keeps those of sdp's containers). */
const NETWORK_ACTIONS = new Set(['connect', 'disconnect']);
const RETRY_MS = 1000;

export interface DockerEvent {
  /** 'health_status: healthy' is reported as 'health_status'; network events as network-connect|-disconnect */
  action: string;
  id: string;
  name: string;
}

/** Parses one line of the event stream; undefined for events that are not reported. */
export function parseDockerEvent(line: string): DockerEvent | undefined {
  let raw: { Type?: string; Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  const action = (raw.Action ?? '').split(':')[0]?.trim() ?? '';
  // a container joining or leaving a managed network: reported as a change of that container
  if (raw.Type === 'network' && NETWORK_ACTIONS.has(action)) {
    const container = raw.Actor?.Attributes?.container;
    return container ? { action: `network-${action}`, id: container, name: container } : undefined;
  }
  if (raw.Type !== 'container' || !ACTIONS.has(action) || !raw.Actor?.ID) return undefined;
  if (raw.Actor.Attributes?.[LABELS.managed] !== 'true') return undefined;
  return { action, id: raw.Actor.ID, name: raw.Actor.Attributes?.name ?? raw.Actor.ID };
}

/** Follows the event stream until stopped, reconnecting when Docker closes it. */
export function watchEvents(docker: DockerHost, onEvent: (e: DockerEvent) => void, onError: (err: Error) => void): { stop(): void } {
  let stopped = false;
  let current: Readable | undefined;
  const follow = async () => {
    while (!stopped) {
      try {
        const stream = (await docker.docker.getEvents({
          // no label filter: a network event carries the container, not the network's labels, so
          // container events are filtered on their labels here and network events by the caller
          filters: { type: ['container', 'network'] },
        })) as unknown as Readable;
        current = stream;
        let pending = '';
        await new Promise<void>((resolve, reject) => {
          stream.on('data', (chunk: Buffer) => {
            const lines = (pending + chunk.toString('utf8')).split('\n');
            pending = lines.pop() ?? '';
            for (const l of lines) {
              const e = l.trim() ? parseDockerEvent(l) : undefined;
              if (e) onEvent(e);
            }
          });
          stream.on('end', resolve);
          stream.on('close', resolve);
          stream.on('error', reject);
        });
      } catch (err) {
        if (!stopped) onError(err instanceof Error ? err : new Error(String(err)));
      }
      if (!stopped) await sleep(RETRY_MS);
    }
  };
  void follow();
  return {
    stop() {
      stopped = true;
      current?.destroy();
    },
  };
}
