// Fault injection for the crash-recovery test (test/e2e/crash-recovery.int.test.ts):
// SDP_FAULT_KILL_AT=<job kind>:<step> (e.g. deploy:start) makes the process kill itself with SIGKILL,
// no cleanup, the moment such a job reaches that step (a deploy's: git, build, create, stop, start,
// routes, health, switch), as a crash or a power cut would. Unset, it does nothing.
const killAt = process.env.SDP_FAULT_KILL_AT;

export function crashPoint(step: string): void {
  if (killAt !== undefined && killAt === step) process.kill(process.pid, 'SIGKILL');
}
