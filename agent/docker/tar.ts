// A tar archive of files held in memory, for Docker's putArchive: spec files go into the container
// before it starts, so nothing is written under the agent's work dir. tar-stream writes the
// headers (ustar, long paths split into prefix + name, pax beyond that).
import { pack } from 'tar-stream';

export interface TarEntry {
  path: string;
  content: string;
}

export async function tarFiles(files: TarEntry[]): Promise<Buffer> {
  const archive = pack();
  const dirs = new Set<string>();
  for (const f of files) {
    const rel = f.path.replace(/^\/+/, '');
    const segments = rel.split('/');
    for (let i = 1; i < segments.length; i++) {
      const dir = segments.slice(0, i).join('/');
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      archive.entry({ name: dir, type: 'directory', mode: 0o755 });
    }
    archive.entry({ name: rel, mode: 0o644 }, f.content);
  }
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
