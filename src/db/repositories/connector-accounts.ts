import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Database } from '../orm.js';

/** A `connector_account` row; `credentials` is sealed. */
export interface ConnectorAccountRow {
  id: string;
  merchant_id: string;
  livemode: boolean;
  connector: string;
  label: string;
  currencies: string[] | string;
  priority: number;
  credentials: string | null;
  api_base: string | null;
  disabled_at: Date | string | null;
  created_at: Date | string;
}

const COLUMNS =
  'id, merchant_id, livemode, connector, label, currencies, priority, credentials, api_base, disabled_at, created_at';
const pgTextArray = (values: readonly string[]) => `{${values.map((e) => `"${e}"`).join(',')}}`;

/** Text arrays come back as arrays from PostgreSQL and as `{a,b}` text from some drivers. */
export function textArray(value: string[] | string | null): string[] {
  if (value === null) return [];
  if (Array.isArray(value)) return value;
  return value
    .replace(/^\{|\}$/g, '')
    .split(',')
    .filter(Boolean)
    .map((v) => v.replace(/^"|"$/g, ''));
}

/** Merchants' accounts at acquirers, and the accounts a terminal pins. */
export class ConnectorAccountRepository {
  constructor(private readonly db: Database) {}

  transaction<T>(work: (em: SqlEntityManager) => Promise<T>): Promise<T> {
    return this.db.em.fork().transactional((em) => work(em as SqlEntityManager));
  }

  async insert(
    tx: SqlEntityManager,
    a: Omit<ConnectorAccountRow, 'disabled_at' | 'created_at' | 'currencies'> & { currencies: string[] },
  ): Promise<void> {
    await tx.execute(
      `insert into connector_account (id, merchant_id, livemode, connector, label, currencies, priority, credentials, api_base, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, now())`,
      [
        a.id,
        a.merchant_id,
        a.livemode,
        a.connector,
        a.label,
        pgTextArray(a.currencies),
        a.priority,
        a.credentials,
        a.api_base,
      ],
    );
  }

  /** A merchant's accounts (enabled and disabled), by priority then age. */
  async list(merchantId: string, livemode?: boolean): Promise<ConnectorAccountRow[]> {
    return this.db.em
      .fork()
      .execute<ConnectorAccountRow[]>(
        `select ${COLUMNS} from connector_account where merchant_id = ?${livemode === undefined ? '' : ' and livemode = ?'} order by disabled_at is not null, priority, seq`,
        livemode === undefined ? [merchantId] : [merchantId, livemode],
      );
  }

  async find(
    id: string,
    scope?: { merchantId: string; livemode?: boolean },
  ): Promise<ConnectorAccountRow | null> {
    const conditions = ['id = ?'];
    const params: unknown[] = [id];
    if (scope) {
      conditions.push('merchant_id = ?');
      params.push(scope.merchantId);
      if (scope.livemode !== undefined) {
        conditions.push('livemode = ?');
        params.push(scope.livemode);
      }
    }
    const [row] = await this.db.em
      .fork()
      .execute<ConnectorAccountRow[]>(
        `select ${COLUMNS} from connector_account where ${conditions.join(' and ')}`,
        params,
      );
    return row ?? null;
  }

  /** The enabled accounts a payment of this merchant, mode and currency may be routed to, in priority order. */
  async routable(merchantId: string, livemode: boolean, currency: string): Promise<ConnectorAccountRow[]> {
    return this.db.em.fork().execute<ConnectorAccountRow[]>(
      `select ${COLUMNS} from connector_account
        where merchant_id = ? and livemode = ? and disabled_at is null
          and (cardinality(currencies) = 0 or ? = any(currencies))
        order by priority, seq`,
      [merchantId, livemode, currency],
    );
  }

  /** Whether the merchant has any enabled account in this mode (inside `em`'s transaction when given). */
  async anyEnabled(merchantId: string, livemode: boolean, em?: SqlEntityManager): Promise<boolean> {
    const [row] = await (em ?? this.db.em.fork()).execute<{ n: string | number }[]>(
      'select count(*) as n from connector_account where merchant_id = ? and livemode = ? and disabled_at is null',
      [merchantId, livemode],
    );
    return Number(row?.n ?? 0) > 0;
  }

  async disable(tx: SqlEntityManager, id: string): Promise<void> {
    await tx.execute('update connector_account set disabled_at = coalesce(disabled_at, now()) where id = ?', [
      id,
    ]);
  }

  /** The accounts a terminal pins, in its order; null when it pins none. */
  async terminalPins(merchantId: string, terminalId: string): Promise<string[] | null> {
    const [row] = await this.db.em
      .fork()
      .execute<{ connector_account_ids: string[] | string | null }[]>(
        'select connector_account_ids from terminal where merchant_id = ? and id = ?',
        [merchantId, terminalId],
      );
    if (!row || row.connector_account_ids === null) return null;
    return textArray(row.connector_account_ids);
  }

  /** Pins a terminal to accounts (in order), or unpins it with null. False when the terminal does not exist. */
  async pinTerminal(
    tx: SqlEntityManager,
    merchantId: string,
    terminalId: string,
    accountIds: string[] | null,
  ): Promise<boolean> {
    const rows = await tx.execute<unknown[]>(
      'update terminal set connector_account_ids = ? where merchant_id = ? and id = ? returning 1 as done',
      [accountIds === null ? null : pgTextArray(accountIds), merchantId, terminalId],
    );
    return rows.length > 0;
  }
}
