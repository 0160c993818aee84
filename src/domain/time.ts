/** Times on the wire and in stored documents are unix seconds: whole seconds, rounded down. */
export const unixSeconds = (d: Date): number => Math.floor(d.getTime() / 1000);

export const unixSecondsOrNull = (d: Date | null): number | null => (d ? unixSeconds(d) : null);

export const fromUnixSeconds = (seconds: number): Date => new Date(seconds * 1000);

export const fromUnixSecondsOrNull = (seconds: number | null): Date | null =>
  seconds === null ? null : fromUnixSeconds(seconds);
