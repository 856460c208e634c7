/**
 * Whether the suites that need a server (PostgreSQL, Redis) must run: `RXDAG_REQUIRE_SERVICES=1`,
 * which `.ci/run` sets once it made sure both are up. A suite that finds no server then fails
 * instead of saying it did not run. Nothing else is here.
 */
export function servicesRequired(): boolean {
  return process.env['RXDAG_REQUIRE_SERVICES'] === '1';
}
