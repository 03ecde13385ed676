// Template expansion: a Sandbox deep-merges over its SandboxTemplate.
// - mappings merge key by key, recursively (the sandbox's value wins at the leaves);
// - lists are REPLACED, not concatenated: a sandbox `env: [a]` over a template `env: [common]` gives
//   [a] (write `env: [common, a]` to keep both), as in Helm values and kustomize's default;
// - where a service (or the gateway) runs from is one choice: if the sandbox sets any of `branch`,
//   `commit` or `baseline`, the template's `branch`/`commit`/`baseline` for it are dropped, so pinning a
//   commit or sending a service to baseline over a template's branch is not a conflict.
import type { SandboxSpec, TemplateSpec } from '../../schema/specs/index.ts';
import { isObject } from './errors.ts';

const SOURCE_KEYS = ['branch', 'commit', 'baseline'] as const;

/** Expansions by sandbox spec object: parsed specs are reused across compiles while their file is unchanged. */
const expanded = new WeakMap<SandboxSpec, { template: TemplateSpec; merged: SandboxSpec }>();

export function expandTemplate(template: TemplateSpec | undefined, sandbox: SandboxSpec): SandboxSpec {
  if (!template) return sandbox;
  const known = expanded.get(sandbox);
  if (known?.template === template) return known.merged;
  const merged = mergeOver(template, sandbox);
  expanded.set(sandbox, { template, merged });
  return merged;
}

function mergeOver(template: TemplateSpec, sandbox: SandboxSpec): SandboxSpec {
  const merged = deepMerge(template, sandbox) as SandboxSpec; // fresh objects all the way down
  if (merged.services && template.services && sandbox.services) {
    const [base, over] = [template.services, sandbox.services];
    merged.services = Object.fromEntries(
      Object.entries(merged.services).map(([name, selection]) => {
        const [b, o] = [own(base, name), own(over, name)];
        return [name, b && o ? (deepMerge(withoutSource(b, o), o) as typeof selection) : selection];
      }),
    );
  }
  if (template.gateway && sandbox.gateway) {
    merged.gateway = deepMerge(withoutSource(template.gateway, sandbox.gateway), sandbox.gateway) as SandboxSpec['gateway'];
  }
  return merged;
}

/** The map's own entry (names such as `constructor` are valid service names). */
export const own = <V>(map: Record<string, V> | undefined, key: string): V | undefined =>
  map !== undefined && Object.hasOwn(map, key) ? map[key] : undefined;

function withoutSource<T extends object>(base: T, over: object): T {
  if (!SOURCE_KEYS.some((k) => Object.hasOwn(over, k))) return base;
  return Object.fromEntries(Object.entries(base).filter(([k]) => !(SOURCE_KEYS as readonly string[]).includes(k))) as T;
}

/** Mappings merge recursively; anything else (lists, scalars) is replaced by `over`. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(base)) define(out, k, Object.hasOwn(over, k) ? deepMerge(base[k], over[k]) : base[k]);
  for (const k of Object.keys(over)) if (!Object.hasOwn(base, k)) define(out, k, over[k]);
  return out;
}

/** Own data property even for a key such as __proto__ (which plain assignment would turn into a prototype). */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
