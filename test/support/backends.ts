import { serverServicesAvailable } from './services.js';
import type { Backend } from './till.js';

/** Suites that must behave the same on both storage setups run once per available backend. */
export const backends: Backend[] = serverServicesAvailable ? ['embedded', 'server'] : ['embedded'];
