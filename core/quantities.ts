// Memory quantities, one set of rules for the specs and the diff: Ki/Mi/Gi/Ti binary, k/K/M/G/T
// decimal, plain bytes; whole bytes >= 1. The spec compiler reports what this refuses; the diff
// reads live values (numbers from Docker) and compiled ones through it.

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
};

const MEMORY = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/;

/** `512Mi`, `1Gi`, `1G`, `256M`, `1048576` or a number -> bytes (whole); undefined when not a size >= 1 byte. */
export function parseMemory(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 1 ? value : undefined;
  const m = MEMORY.exec(value);
  if (!m) return undefined;
  const bytes = Math.round(Number(m[1]) * (MEMORY_UNITS[m[2] ?? ''] ?? Number.NaN));
  return Number.isSafeInteger(bytes) && bytes >= 1 ? bytes : undefined;
}

/** 536870912 -> "512Mi": the largest whole binary unit; bytes that are none stay bytes. */
export function formatMemory(bytes: number): string {
  for (const unit of ['Ti', 'Gi', 'Mi', 'Ki'] as const) {
    const size = MEMORY_UNITS[unit] ?? 1;
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/** Memory in use, to three significant digits: 3481600 -> "3.32Mi" (what a person reads at a glance). */
export function formatMemoryUsage(bytes: number): string {
  for (const unit of ['Ti', 'Gi', 'Mi', 'Ki'] as const) {
    const size = MEMORY_UNITS[unit] ?? 1;
    if (bytes >= size) return `${Number((bytes / size).toPrecision(3))}${unit}`;
  }
  return `${bytes}B`;
}
