// What a container listens on, read from inside its network namespace (a throwaway busybox container
// joined to it reads /proc/net), and commands run in containers: for the gateway security tests.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface Listener {
  proto: 'tcp' | 'udp';
  address: string;
  port: number;
}

/** Every listening TCP socket and bound UDP socket in the container's network namespace. */
export async function listeners(container: string): Promise<Listener[]> {
  const { stdout } = await exec('docker', [
    'run', '--rm', '--network', `container:${container}`, 'sdp/busybox:local',
    'sh', '-c', 'for f in tcp tcp6 udp udp6; do sed "s/^/$f /" /proc/net/$f; done',
  ]);
  const found: Listener[] = [];
  for (const line of stdout.split('\n')) {
    const [file, , local, , state] = line.trim().split(/\s+/);
    if (!file || !local || !/^[0-9A-F]+:[0-9A-F]{4}$/.test(local)) continue;
    const proto = file.startsWith('tcp') ? 'tcp' : 'udp';
    // TCP state 0A is LISTEN; a bound UDP socket (state 07) receives from anyone
    if (proto === 'tcp' && state !== '0A') continue;
    const [hex, port] = local.split(':') as [string, string];
    found.push({ proto, address: hexAddress(hex), port: Number.parseInt(port, 16) });
  }
  return found;
}

/** /proc/net addresses: IPv4 as one little-endian word, IPv6 as four of them. */
function hexAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => Number.parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < bytes.length; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

export const isLoopback = (address: string) => address.startsWith('127.') || address === '0:0:0:0:0:0:0:1' || address === '::1';

/** Runs a shell command in a running container; never throws (code and output are the answer). */
export async function shIn(container: string, script: string, timeoutMs = 15_000): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await exec('docker', ['exec', container, 'sh', '-c', script], { timeout: timeoutMs });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}
