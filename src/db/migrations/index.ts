import { Migration20261122000001Init } from './Migration20261122000001Init.js';

/** Every migration, oldest first. Listed explicitly so the ESM build never depends on a file glob. */
export const migrations = [Migration20261122000001Init];
