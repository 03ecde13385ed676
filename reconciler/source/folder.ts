// Watches the specs folder; one save (however many fs events it makes) calls `onChange` once,
// DEBOUNCE_MS after the last event. It watches what the compiler reads (readSpecFiles): no symbolic
// links (a link to /etc would be thousands of watches), nothing under a dot-folder.
import { watch, type FSWatcher } from 'chokidar';
import { relative, resolve, sep } from 'node:path';

export const DEBOUNCE_MS = 100;

export interface FolderWatch {
  close(): Promise<void>;
}

export function watchFolder(dir: string, onChange: () => void): FolderWatch {
  let timer: NodeJS.Timeout | undefined;
  const root = resolve(dir);
  const watcher: FSWatcher = watch(root, {
    ignoreInitial: true,
    followSymlinks: false,
    // dot-folders and dot-files are not specs; nor are editors' swap and backup files
    ignored: (path) => relative(root, resolve(path)).split(sep).some((p) => p.startsWith('.')) || /\.swp$|~$/.test(path),
  });
  watcher.on('all', () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, DEBOUNCE_MS);
  });
  return {
    async close() {
      clearTimeout(timer);
      await watcher.close();
    },
  };
}
