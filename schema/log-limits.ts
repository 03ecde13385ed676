// The bounds of container log streams, apart from schema/protocol.ts so the CLI reads them without
// loading TypeBox.
/**
 * The bounds of a container log stream, the same on both ends. The agent keeps them (tail, line
 * length, rate, streams at once); the reconciler keeps its own count of streams and drops what a slow
 * client cannot take, so a chatty container cannot exhaust either.
 */
export const LOG_LIMITS = {
  /** lines of history when the request names no tail */
  tailDefault: 100,
  tailMax: 5000,
  /** a longer line is cut here (characters) and marked */
  lineMaxChars: 8192,
  /** per stream: sustained bytes a second, and the burst a tail may use at once */
  bytesPerSecond: 64 * 1024,
  burstBytes: 512 * 1024,
  /** lines per chunk message, and how long a partial chunk waits before it is sent */
  chunkLines: 200,
  chunkMs: 100,
  /** streams one agent serves at once */
  streamsPerAgent: 32,
  /** streams the reconciler relays at once, in all and per user */
  streamsTotal: 64,
  streamsPerUser: 8,
} as const;
export type LogLimits = { [K in keyof typeof LOG_LIMITS]: number };
