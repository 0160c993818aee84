/**
 * Whether the tests run in CI: `CI` set to anything but empty, `false` or `0` (CI services set
 * `true`, `1` or a name of their own). In CI a missing service or browser fails the run; elsewhere
 * the suites that need it skip with a warning.
 */
export const inCI = ((value: string | undefined) =>
  value !== undefined && !['', 'false', '0'].includes(value.trim().toLowerCase()))(process.env.CI);

/** How a failure names the setting that made it one. */
export const ciSetting = `CI=${process.env.CI ?? ''}`;

/**
 * The one place a suite may be left out: `describe` (or `it`) when what it needs is here, skipped
 * otherwise. Never a skip in CI — there a missing need fails the run instead.
 */
export function describeWhen(available: boolean, need: string): jest.Describe {
  return required(available, need) ? describe : describe.skip;
}

export function itWhen(available: boolean, need: string): jest.It {
  return required(available, need) ? it : it.skip;
}

function required(available: boolean, need: string): boolean {
  if (!available && inCI) throw new Error(`${ciSetting} but ${need} is missing`);
  if (!available) console.warn(`[till tests] skipped for want of ${need}`);
  return available;
}
