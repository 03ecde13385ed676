// Public surface of the diff: desired vs live -> statuses and drift (pure).
export { diffSandbox, type SandboxDiff } from './diff.ts';
export { diffOrphans, type OrphanNode, type OrphanSandbox } from './orphans.ts';
export { compareSandbox, type Comparison, type DiffInput } from './compare.ts';
export { groupLiveBySandbox, type LiveNodeState, type NodeLive } from './live.ts';
export { REDACTED } from './normalize.ts';
export { findingResource, type DriftFinding, type EnvValue, type ResourcesValue } from './findings.ts';
