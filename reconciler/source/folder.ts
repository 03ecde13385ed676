// Watches the specs folder; one save (however many fs events it makes) calls `onChange` once,
// DEBOUNCE_MS after the last event.
import { watch, type FSWatcher } from 'chokidar';

export const DEBOUNCE_MS = 100;

export interface FolderWatch {
  close(): Promise<void>;
}

export function watchFolder(dir: string, onChange: () => void): FolderWatch {
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(dir, {
    ignoreInitial: true,
    // editors' swap and backup files are not specs
    ignored: (path) => /(^|\/)\.git(\/|$)|\.swp$|~$|(^|\/)\.#/.test(path),
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
