import { createHash } from 'node:crypto';
import type { Connector, ConnectorAccount, ConnectorKind, ConnectorOptions } from './connector.js';

/**
 * Builds the connector of one account. Asynchronous so an acquirer's library is loaded only when a
 * merchant first uses it (the official clients are large; most instances need one or none).
 */
export type ConnectorFactory = (account: ConnectorAccount, options: ConnectorOptions) => Promise<Connector>;

/**
 * Acquirers that report outcomes only by webhook: their lookup cannot tell "never charged" from
 * "not yet reported", so a payment they hold is never failed for silence.
 */
export const REPORTS_BY_WEBHOOK_ONLY: readonly ConnectorKind[] = ['adyen'];

/**
 * The connector of each account, built once and rebuilt when the account's credentials or base URL
 * change (the official clients keep connections open).
 */
export class ConnectorRegistry {
  private readonly built = new Map<string, { fingerprint: string; connector: Promise<Connector> }>();

  constructor(
    private readonly factories: Partial<Record<ConnectorKind, ConnectorFactory>>,
    private readonly options: ConnectorOptions,
  ) {}

  async for(account: ConnectorAccount): Promise<Connector> {
    const factory = this.factories[account.connector];
    if (!factory) throw new Error(`Till has no ${account.connector} connector.`);
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([account.credentials, account.apiBase, account.livemode]))
      .digest('hex');
    const key = `${account.merchantId}:${account.id}`;
    const cached = this.built.get(key);
    if (cached?.fingerprint === fingerprint) return cached.connector;
    const connector = factory(account, this.options);
    this.built.set(key, { fingerprint, connector });
    // A connector that could not be built (bad credentials) is built again next time.
    connector.catch(() => {
      if (this.built.get(key)?.connector === connector) this.built.delete(key);
    });
    return connector;
  }
}
