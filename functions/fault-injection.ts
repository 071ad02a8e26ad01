/**
 * A seam for the crash tests: when `GATEWAY_FAULT` names a point, the process kills itself there with
 * SIGKILL, as a Lambda timeout or a lost host would, so tests can prove nothing is lost or done twice.
 * No deployed environment sets it (the CDK stack does not know the variable).
 */
const fault = process.env.GATEWAY_FAULT;

export function crashPoint(name: string): void {
  if (fault === name) process.kill(process.pid, 'SIGKILL');
}
