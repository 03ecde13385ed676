// Public surface of the planner: comparison -> waves of actions with their agent jobs (pure).
export { WAVE, planOrphans, planSandbox, type JobDraft, type PlanOptions, type PlannedStep } from './plan.ts';
export { nextStep, type NextStep, type Observed, type Operation, type StepOutcome, type SyncTarget } from './next-step.ts';
