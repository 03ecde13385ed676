// The client's version: package.json's, read when the CLI is built (esbuild inlines the JSON import).
import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
