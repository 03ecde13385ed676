// Public surface of the planner: comparison -> waves of actions with their agent jobs (pure).
export { WAVE, planOrphans, planSandbox, planView, type JobDraft, type PlanOptions, type PlannedStep } from './plan.ts';
