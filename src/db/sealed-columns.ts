import type { Sealer } from '../crypto/sealing.js';
import type { Database } from './orm.js';

/**
 * The AAD of each kind of sealed value: the identity of the row that holds it. A value sealed for
 * one row does not open in another, so a database writer cannot move a secret between merchants.
 */
export const sealedFor = {
  /** An endpoint's current and previous signing secret (rotation moves one column to the other). */
  webhookEndpoint: (endpointId: string) => `webhook_endpoint:${endpointId}`,
  signingKey: (kid: string) => `signing_key:${kid}`,
  connectorAccount: (accountId: string) => `connector_account:${accountId}`,
  idempotentResponse: (merchantId: string, livemode: boolean, key: string) =>
    `idempotency_key:${JSON.stringify([merchantId, livemode, key])}`,
};

/** A column holding sealed values: where it is, how its rows are named, and its AAD. */
interface SealedColumn {
  table: string;
  column: string;
  /** The columns that identify a row. */
  key: readonly string[];
  aad(row: Record<string, unknown>): string;
  /**
   * Where values written before sealing existed are kept in plaintext (sealed on the next start):
   * the same column, or an older one that is emptied once its value is sealed.
   */
  plaintext?: { column: string; text(value: unknown): string };
}

/**
 * Every column in which Till stores a credential it must read back. A new one is added here, and
 * startup sealing and `till keys rotate-encryption` cover it from then on.
 */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  {
    table: 'webhook_endpoint',
    column: 'secret',
    key: ['id'],
    aad: (row) => sealedFor.webhookEndpoint(String(row.id)),
    plaintext: { column: 'secret', text: String },
  },
  {
    table: 'webhook_endpoint',
    column: 'previous_secret',
    key: ['id'],
    aad: (row) => sealedFor.webhookEndpoint(String(row.id)),
    plaintext: { column: 'previous_secret', text: String },
  },
  {
    table: 'signing_key',
    column: 'private_jwk_sealed',
    key: ['kid'],
    aad: (row) => sealedFor.signingKey(String(row.kid)),
    // jsonb: the drivers hand it over parsed, or as text.
    plaintext: {
      column: 'private_jwk',
      text: (value) => (typeof value === 'string' ? value : JSON.stringify(value)),
    },
  },
  {
    // An acquirer account's credentials (API keys, webhook and HMAC secrets), as one sealed JSON object.
    table: 'connector_account',
    column: 'credentials',
    key: ['id'],
    aad: (row) => sealedFor.connectorAccount(String(row.id)),
  },
  {
    // Only the stored answers that carry a secret are sealed (creating or rotating a webhook secret).
    table: 'idempotency_key',
    column: 'response_body',
    key: ['merchant_id', 'livemode', 'key'],
    aad: (row) =>
      sealedFor.idempotentResponse(String(row.merchant_id), row.livemode === true, String(row.key)),
  },
];

const BATCH = 500;
const columns = (names: readonly string[]) => names.map((c) => `"${c}"`).join(', ');
const where = (spec: SealedColumn) => spec.key.map((k) => `"${k}" = ?`).join(' and ');
const keyValues = (spec: SealedColumn, row: Record<string, unknown>) => spec.key.map((k) => row[k]);

/**
 * Seals every value still stored in plaintext (written before sealing existed) under the current
 * key. Safe to run on several instances at once: each row is replaced only if it is still as read.
 */
export async function sealPlaintext(db: Database, sealer: Sealer): Promise<number> {
  let sealed = 0;
  for (const spec of SEALED_COLUMNS) {
    const source = spec.plaintext;
    if (!source) continue;
    const inPlace = source.column === spec.column;
    const pending = inPlace
      ? `"${spec.column}" is not null and left("${spec.column}", 3) <> 'v1:'`
      : `"${source.column}" is not null`;
    const select = `select ${columns([...spec.key, source.column])} from "${spec.table}" where ${pending} limit ${BATCH}`;
    const update = inPlace
      ? `update "${spec.table}" set "${spec.column}" = ? where ${where(spec)} and "${spec.column}" = ? returning 1 as done`
      : `update "${spec.table}" set "${spec.column}" = ?, "${source.column}" = null where ${where(spec)} and "${source.column}" is not null returning 1 as done`;
    for (;;) {
      const rows = await db.em.fork().execute<Record<string, unknown>[]>(select);
      let progress = 0;
      for (const row of rows) {
        const value = sealer.seal(source.text(row[source.column]), spec.aad(row));
        const params = [value, ...keyValues(spec, row), ...(inPlace ? [row[source.column]] : [])];
        progress += (await db.em.fork().execute<unknown[]>(update, params)).length;
      }
      sealed += progress;
      if (rows.length < BATCH || progress === 0) break;
    }
  }
  return sealed;
}

/**
 * Re-seals every sealed value that is not under the current key, so older keys can be retired.
 * A value that no known key opens stops the run with a SealingError naming its key id.
 */
export async function resealAll(db: Database, sealer: Sealer): Promise<number> {
  const prefix = `v1:${sealer.currentKid}:`;
  let resealed = 0;
  for (const spec of SEALED_COLUMNS) {
    const select = `select ${columns([...spec.key, spec.column])} from "${spec.table}"
      where left("${spec.column}", 3) = 'v1:' and left("${spec.column}", ${prefix.length}) <> ? limit ${BATCH}`;
    const update = `update "${spec.table}" set "${spec.column}" = ? where ${where(spec)} and "${spec.column}" = ? returning 1 as done`;
    for (;;) {
      const rows = await db.em.fork().execute<Record<string, unknown>[]>(select, [prefix]);
      let progress = 0;
      for (const row of rows) {
        const old = row[spec.column] as string;
        const value = sealer.seal(sealer.open(old, spec.aad(row)), spec.aad(row));
        progress += (await db.em.fork().execute<unknown[]>(update, [value, ...keyValues(spec, row), old]))
          .length;
      }
      resealed += progress;
      if (rows.length < BATCH || progress === 0) break;
    }
  }
  return resealed;
}

/** How many stored values each key id seals (a key with none can be retired). */
export async function sealedCountByKid(db: Database): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const spec of SEALED_COLUMNS) {
    const rows = await db.em.fork().execute<{ kid: string; n: string | number }[]>(
      `select split_part("${spec.column}", ':', 2) as kid, count(*) as n from "${spec.table}"
        where left("${spec.column}", 3) = 'v1:' group by 1`,
    );
    for (const { kid, n } of rows) counts.set(kid, (counts.get(kid) ?? 0) + Number(n));
  }
  return counts;
}
