// Types of scripts/build-cli.js (plain JavaScript: bin/sdp.js runs it without a TypeScript loader).
export const OUT_DIR: string;
export const ENTRY: string;
/** true when dist/cli exists and no source it was built from changed since */
export function isFresh(): boolean;
/** builds dist/cli; resolves with the time it took in ms */
export function build(): Promise<number>;
