/**
 * Whether the tests run in CI: `CI` set to anything but empty, `false` or `0` (CI services set
 * `true`, `1` or a name of their own). In CI a missing service or browser fails the run; elsewhere
 * the suites that need it skip with a warning.
 */
export const inCI = ((value: string | undefined) =>
  value !== undefined && !['', 'false', '0'].includes(value.trim().toLowerCase()))(process.env.CI);

/** How a failure names the setting that made it one. */
export const ciSetting = `CI=${process.env.CI ?? ''}`;
