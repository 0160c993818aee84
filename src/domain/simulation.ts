/**
 * Seed 000's test-mode simulation fields (`metadata.simulated_flow`, `response_code`, …): they
 * override the test card's outcome. Unknown values are refused, listing the known ones.
 */
export const SIMULATED_FLOWS = [
  'FRICTIONLESS',
  'CHALLENGE',
  'VERSIONING_FINGERPRINT_Y_CHALLENGE',
  'VERSIONING_FINGERPRINT_N_CHALLENGE',
  'VERSIONING_FINGERPRINT_Y_FRICTIONLESS',
] as const;
export type SimulatedFlow = (typeof SIMULATED_FLOWS)[number];

/** Outcomes a simulation may force, and the decline code each maps to (null = approved). */
export const RESPONSE_CODES = {
  APPROVED: null,
  DECLINED: 'card_declined',
  INSUFFICIENT_FUNDS: 'insufficient_funds',
  EXPIRED_CARD: 'expired_card',
  INCORRECT_CVC: 'incorrect_cvc',
  PROCESSING_ERROR: 'processing_error',
  AUTHENTICATION_FAILED: 'authentication_failed',
} as const;
export type ResponseCode = keyof typeof RESPONSE_CODES;

/** The simulation keys seed 000 documents; their values are free text except the two checked here. */
export const SIMULATION_KEYS = [
  'simulated_flow',
  'response_code',
  'payment_provider_response_message',
  'payment_provider_response_code',
  'approval_code',
] as const;

/** Problems with the simulation fields of `metadata` (empty when fine). */
export function simulationProblems(
  metadata: Record<string, unknown> | null | undefined,
): { field: string; message: string }[] {
  if (!metadata) return [];
  const out: { field: string; message: string }[] = [];
  const flow = metadata.simulated_flow;
  if (flow !== undefined && !(SIMULATED_FLOWS as readonly unknown[]).includes(flow))
    out.push({
      field: 'metadata.simulated_flow',
      message: `simulated_flow must be one of ${SIMULATED_FLOWS.join(', ')}`,
    });
  const code = metadata.response_code;
  if (code !== undefined && !Object.keys(RESPONSE_CODES).includes(code as string))
    out.push({
      field: 'metadata.response_code',
      message: `response_code must be one of ${Object.keys(RESPONSE_CODES).join(', ')}`,
    });
  for (const key of ['payment_provider_response_message', 'payment_provider_response_code', 'approval_code'])
    if (metadata[key] !== undefined && typeof metadata[key] !== 'string')
      out.push({ field: `metadata.${key}`, message: `${key} must be a string` });
  return out;
}
