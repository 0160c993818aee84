import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Sealer } from '../crypto/sealing.js';
import {
  ConnectorAccountRepository,
  textArray,
  type ConnectorAccountRow,
} from '../db/repositories/connector-accounts.js';
import { sealedFor } from '../db/sealed-columns.js';
import { invalidFields, notFound, type FieldProblem } from '../domain/errors.js';
import { CONNECTOR_ACCOUNT_ID_PATTERN, newId } from '../domain/ids.js';
import { unixSeconds } from '../domain/time.js';
import { CONNECTOR_KINDS, type ConnectorAccount, type ConnectorKind } from '../processors/connector.js';
import type { AuditLog } from './audit.js';
import type { Actor } from './principal.js';

/** Which credentials each acquirer takes: required ones, and ones that may be added later. */
const CREDENTIALS: Record<
  ConnectorKind,
  { required: string[]; optional: string[]; liveRequired?: string[] }
> = {
  sandbox: { required: [], optional: [] },
  // The webhook secret exists only once the acquirer's endpoint (whose URL names this account) is made.
  stripe: { required: ['secret_key'], optional: ['webhook_secret'] },
  adyen: {
    required: ['api_key', 'merchant_account'],
    optional: ['hmac_key', 'live_url_prefix'],
    liveRequired: ['live_url_prefix'],
  },
};

/** What a merchant or operator sends to create an account. */
export interface ConnectorAccountInput {
  connector?: unknown;
  mode?: unknown;
  label?: unknown;
  currencies?: unknown;
  priority?: unknown;
  credentials?: unknown;
  api_base?: unknown;
}

/** An account as every surface shows it: never a credential, only which ones are set. */
export interface ConnectorAccountView {
  id: string;
  object: 'connector_account';
  merchant_id: string;
  connector: ConnectorKind;
  mode: 'test' | 'live';
  label: string;
  currencies: string[];
  priority: number;
  api_base: string | null;
  credentials_set: string[];
  /** Where the acquirer sends its webhooks for this account (null for the sandbox). */
  webhook_url: string | null;
  status: 'enabled' | 'disabled';
  created_at: number;
}

/** The built-in sandbox: every merchant's test-mode acquirer when it has no test account of its own. */
export const BUILT_IN_SANDBOX = (merchantId: string): ConnectorAccount => ({
  id: 'sandbox',
  merchantId,
  connector: 'sandbox',
  livemode: false,
  credentials: {},
  apiBase: null,
});

const LABEL_MAX = 100;
const PRIORITY_MAX = 1000;

/**
 * Merchants' accounts at acquirers (per mode), the routing of a payment to them, and the terminal
 * pins that narrow it. Credentials are sealed at rest under Till's encryption key, bound to the
 * account's id; no read returns them.
 */
export class ConnectorAccountService {
  constructor(
    private readonly accounts: ConnectorAccountRepository,
    private readonly sealer: Sealer,
    private readonly audit: AuditLog,
    private readonly publicUrl: string,
  ) {}

  async create(
    merchantId: string,
    input: ConnectorAccountInput,
    actor: Actor,
    options: { allowApiBase: boolean } = { allowApiBase: true },
  ): Promise<ConnectorAccountView> {
    const problems: FieldProblem[] = [];
    const connector = CONNECTOR_KINDS.find((k) => k === input.connector);
    if (!connector)
      problems.push({
        field: 'connector',
        message: `connector must be one of ${CONNECTOR_KINDS.join(', ')}`,
      });
    const mode = input.mode === 'test' || input.mode === 'live' ? input.mode : null;
    if (!mode) problems.push({ field: 'mode', message: 'mode must be test or live' });
    if (connector === 'sandbox' && mode === 'live')
      problems.push({ field: 'mode', message: 'the sandbox takes test payments only' });
    const label = input.label ?? connector ?? '';
    if (typeof label !== 'string' || label.trim() === '' || label.length > LABEL_MAX)
      problems.push({ field: 'label', message: `label must be a string of 1 to ${LABEL_MAX} characters` });
    const currencies = this.currencies(input.currencies, problems);
    const priority = input.priority ?? 1;
    if (
      typeof priority !== 'number' ||
      !Number.isInteger(priority) ||
      priority < 1 ||
      priority > PRIORITY_MAX
    )
      problems.push({ field: 'priority', message: `priority must be an integer from 1 to ${PRIORITY_MAX}` });
    let apiBase: string | null = null;
    if (input.api_base !== undefined && input.api_base !== null) {
      if (!options.allowApiBase)
        problems.push({
          field: 'api_base',
          message: 'api_base is set by the operator (admin API or CLI) only',
        });
      else apiBase = this.apiBase(input.api_base, mode === 'live', problems);
    }
    const credentials =
      connector && mode ? this.credentials(connector, mode === 'live', input.credentials, problems) : {};
    if (problems.length > 0) throw invalidFields(problems);

    const id = newId.connectorAccount();
    const kind = connector!;
    await this.accounts.transaction(async (tx) => {
      await this.accounts.insert(tx, {
        id,
        merchant_id: merchantId,
        livemode: mode === 'live',
        connector: kind,
        label: (label as string).trim(),
        currencies,
        priority: priority as number,
        credentials:
          Object.keys(credentials).length > 0
            ? this.sealer.seal(JSON.stringify(credentials), sealedFor.connectorAccount(id))
            : null,
        api_base: apiBase,
      });
      await this.audit.record(
        {
          merchantId,
          livemode: mode === 'live',
          actor,
          action: 'connector_account.created',
          objectType: 'connector_account',
          objectId: id,
          details: { connector: kind, label, currencies, priority, api_base: apiBase },
        },
        tx,
      );
    });
    return (await this.get(merchantId, id))!;
  }

  /**
   * Replaces credentials (those given; the rest are kept), label, currencies or priority. Connector,
   * mode and api_base are fixed: a different acquirer is a new account.
   */
  async update(
    merchantId: string,
    id: string,
    input: ConnectorAccountInput,
    actor: Actor,
  ): Promise<ConnectorAccountView> {
    const row = CONNECTOR_ACCOUNT_ID_PATTERN.test(id) ? await this.accounts.find(id, { merchantId }) : null;
    if (!row) throw notFound('connector account', id);
    const problems: FieldProblem[] = [];
    for (const fixed of ['connector', 'mode', 'api_base'] as const)
      if (input[fixed] !== undefined)
        problems.push({ field: fixed, message: `${fixed} cannot be changed; create a new account instead` });
    const connector = row.connector as ConnectorKind;
    let label = row.label;
    if (input.label !== undefined) {
      if (typeof input.label !== 'string' || input.label.trim() === '' || input.label.length > LABEL_MAX)
        problems.push({ field: 'label', message: `label must be a string of 1 to ${LABEL_MAX} characters` });
      else label = input.label.trim();
    }
    const currencies =
      input.currencies === undefined
        ? textArray(row.currencies)
        : this.currencies(input.currencies, problems);
    let priority = row.priority;
    if (input.priority !== undefined) {
      const p = input.priority;
      if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > PRIORITY_MAX)
        problems.push({
          field: 'priority',
          message: `priority must be an integer from 1 to ${PRIORITY_MAX}`,
        });
      else priority = p;
    }
    let credentials = this.credentialsOf(row);
    if (input.credentials !== undefined) {
      const given = this.credentials(connector, row.livemode, input.credentials, problems, { partial: true });
      credentials = { ...credentials, ...given };
    }
    if (problems.length > 0) throw invalidFields(problems);
    await this.accounts.transaction(async (tx) => {
      await tx.execute(
        'update connector_account set label = ?, currencies = ?, priority = ?, credentials = ? where id = ?',
        [
          label,
          `{${currencies.map((c) => `"${c}"`).join(',')}}`,
          priority,
          Object.keys(credentials).length > 0
            ? this.sealer.seal(JSON.stringify(credentials), sealedFor.connectorAccount(id))
            : null,
          id,
        ],
      );
      await this.audit.record(
        {
          merchantId,
          livemode: row.livemode,
          actor,
          action: 'connector_account.updated',
          objectType: 'connector_account',
          objectId: id,
          details: {
            label,
            currencies,
            priority,
            credentials_replaced: input.credentials ? Object.keys(input.credentials as object).sort() : [],
          },
        },
        tx,
      );
    });
    return (await this.get(merchantId, id))!;
  }

  async list(merchantId: string, livemode?: boolean): Promise<ConnectorAccountView[]> {
    return (await this.accounts.list(merchantId, livemode)).map((row) => this.view(row));
  }

  async get(merchantId: string, id: string, livemode?: boolean): Promise<ConnectorAccountView | null> {
    if (!CONNECTOR_ACCOUNT_ID_PATTERN.test(id)) return null;
    const row = await this.accounts.find(id, { merchantId, livemode });
    return row ? this.view(row) : null;
  }

  /**
   * Stops routing new payments to an account. Payments it already holds keep using it (captures,
   * refunds, webhooks), so its credentials stay.
   */
  async disable(
    merchantId: string,
    id: string,
    actor: Actor,
    livemode?: boolean,
  ): Promise<ConnectorAccountView> {
    const row = CONNECTOR_ACCOUNT_ID_PATTERN.test(id)
      ? await this.accounts.find(id, { merchantId, livemode })
      : null;
    if (!row) throw notFound('connector account', id);
    await this.accounts.transaction(async (tx) => {
      await this.accounts.disable(tx, id);
      if (!row.disabled_at)
        await this.audit.record(
          {
            merchantId,
            livemode: row.livemode,
            actor,
            action: 'connector_account.disabled',
            objectType: 'connector_account',
            objectId: id,
          },
          tx,
        );
    });
    return (await this.get(merchantId, id))!;
  }

  /** Pins an api-dialect terminal to accounts (tried in the given order), or unpins it with null. */
  async pinTerminal(
    merchantId: string,
    terminalId: string,
    ids: unknown,
    actor: Actor,
  ): Promise<string[] | null> {
    if (ids !== null && (!Array.isArray(ids) || ids.length === 0 || ids.length > 10))
      throw invalidFields([
        {
          field: 'connector_account_ids',
          message: 'connector_account_ids must be a list of 1 to 10 connector account ids, or null',
        },
      ]);
    const list = ids as string[] | null;
    if (list) {
      const problems: FieldProblem[] = [];
      for (const [i, id] of list.entries()) {
        const row =
          typeof id === 'string' && CONNECTOR_ACCOUNT_ID_PATTERN.test(id)
            ? await this.accounts.find(id, { merchantId })
            : null;
        if (!row)
          problems.push({
            field: `connector_account_ids[${i}]`,
            message: `No such connector account: '${String(id)}'`,
          });
      }
      if (new Set(list).size !== list.length)
        problems.push({
          field: 'connector_account_ids',
          message: 'connector_account_ids must not repeat an id',
        });
      if (problems.length > 0) throw invalidFields(problems);
    }
    const pinned = await this.accounts.transaction(async (tx) => {
      const done = await this.accounts.pinTerminal(tx, merchantId, terminalId, list);
      if (done)
        await this.audit.record(
          {
            merchantId,
            livemode: null,
            actor,
            action: 'terminal.connectors_pinned',
            objectType: 'terminal',
            objectId: terminalId,
            details: { connector_account_ids: list },
          },
          tx,
        );
      return done;
    });
    if (!pinned) throw notFound('terminal', terminalId, 'terminal_id');
    return list;
  }

  async terminalPins(merchantId: string, terminalId: string): Promise<string[] | null> {
    return this.accounts.terminalPins(merchantId, terminalId);
  }

  /**
   * The accounts a payment is tried at, in order: the terminal's pinned accounts when it pins any,
   * otherwise the merchant's enabled accounts of the payment's mode that take its currency, by
   * priority. A test payment of a merchant with no test account at all goes to the built-in sandbox.
   */
  async route(payment: {
    merchantId: string;
    livemode: boolean;
    currency: string;
    terminalId: string | null;
  }): Promise<ConnectorAccount[]> {
    const routable = await this.accounts.routable(payment.merchantId, payment.livemode, payment.currency);
    const pins = payment.terminalId
      ? await this.accounts.terminalPins(payment.merchantId, payment.terminalId)
      : null;
    const rows = pins ? pins.map((id) => routable.find((r) => r.id === id)).filter((r) => !!r) : routable;
    // The built-in sandbox stands in only for a merchant that set up no test account at all: one whose
    // accounts do not take this currency is told so rather than silently routed elsewhere.
    if (
      rows.length === 0 &&
      !payment.livemode &&
      !pins &&
      !(await this.accounts.anyEnabled(payment.merchantId, false))
    )
      return [BUILT_IN_SANDBOX(payment.merchantId)];
    return rows.map((row) => this.opened(row));
  }

  /** Whether live payments can be taken at all: some enabled live account. */
  async acceptsLive(merchantId: string, tx?: SqlEntityManager): Promise<boolean> {
    return this.accounts.anyEnabled(merchantId, true, tx);
  }

  /** An account with its credentials opened (enabled or not: payments it holds keep using it). */
  async open(id: string | null, merchantId: string): Promise<ConnectorAccount | null> {
    if (id === null) return BUILT_IN_SANDBOX(merchantId);
    const row = CONNECTOR_ACCOUNT_ID_PATTERN.test(id) ? await this.accounts.find(id, { merchantId }) : null;
    return row ? this.opened(row) : null;
  }

  /** An account by id alone (an acquirer's webhook names only the account). */
  async openUnscoped(id: string): Promise<ConnectorAccount | null> {
    const row = CONNECTOR_ACCOUNT_ID_PATTERN.test(id) ? await this.accounts.find(id) : null;
    return row ? this.opened(row) : null;
  }

  private opened(row: ConnectorAccountRow): ConnectorAccount {
    return {
      id: row.id,
      merchantId: row.merchant_id,
      connector: row.connector as ConnectorKind,
      livemode: row.livemode,
      credentials: this.credentialsOf(row),
      apiBase: row.api_base,
    };
  }

  private credentialsOf(row: ConnectorAccountRow): Record<string, string> {
    return row.credentials
      ? (JSON.parse(this.sealer.open(row.credentials, sealedFor.connectorAccount(row.id))) as Record<
          string,
          string
        >)
      : {};
  }

  private view(row: ConnectorAccountRow): ConnectorAccountView {
    const connector = row.connector as ConnectorKind;
    const path = connector === 'stripe' ? 'webhook' : connector === 'adyen' ? 'notifications' : null;
    return {
      id: row.id,
      object: 'connector_account',
      merchant_id: row.merchant_id,
      connector,
      mode: row.livemode ? 'live' : 'test',
      label: row.label,
      currencies: textArray(row.currencies),
      priority: row.priority,
      api_base: row.api_base,
      credentials_set: Object.keys(this.credentialsOf(row)).sort(),
      webhook_url: path ? `${this.publicUrl}/connectors/${connector}/${row.id}/${path}` : null,
      status: row.disabled_at ? 'disabled' : 'enabled',
      created_at: unixSeconds(new Date(row.created_at)),
    };
  }

  private currencies(value: unknown, problems: FieldProblem[]): string[] {
    if (value === undefined || value === null) return [];
    if (
      !Array.isArray(value) ||
      value.length > 50 ||
      !value.every((c) => typeof c === 'string' && /^[A-Z]{3}$/.test(c))
    ) {
      problems.push({
        field: 'currencies',
        message: 'currencies must be a list of ISO 4217 codes such as ["EUR"] (empty: every currency)',
      });
      return [];
    }
    return [...new Set(value as string[])];
  }

  private apiBase(value: unknown, live: boolean, problems: FieldProblem[]): string | null {
    let url: URL | null = null;
    try {
      url = typeof value === 'string' && value.length <= 500 ? new URL(value) : null;
    } catch {
      url = null;
    }
    if (
      !url ||
      !['https:', 'http:'].includes(url.protocol) ||
      url.username ||
      url.password ||
      url.search ||
      url.hash
    ) {
      problems.push({
        field: 'api_base',
        message: 'api_base must be an http(s) URL without credentials, query or fragment',
      });
      return null;
    }
    // Card numbers travel to this address: in live mode only over TLS.
    if (live && url.protocol !== 'https:') {
      problems.push({ field: 'api_base', message: 'api_base must be https:// in live mode' });
      return null;
    }
    return url.toString().replace(/\/$/, '');
  }

  private credentials(
    connector: ConnectorKind,
    live: boolean,
    value: unknown,
    problems: FieldProblem[],
    options: { partial?: boolean } = {},
  ): Record<string, string> {
    const spec = CREDENTIALS[connector];
    const known = [...spec.required, ...spec.optional];
    if (value === undefined || value === null) value = {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push({ field: 'credentials', message: 'credentials must be an object' });
      return {};
    }
    const given = value as Record<string, unknown>;
    const out: Record<string, string> = {};
    for (const [name, v] of Object.entries(given)) {
      if (!known.includes(name)) {
        problems.push({
          field: `credentials.${name}`,
          message: known.length
            ? `credentials.${name} is unknown: ${connector} takes the credentials ${known.join(', ')}`
            : `credentials.${name} is unknown: ${connector} takes no credentials`,
        });
        continue;
      }
      // Never echo the value: it is a secret.
      if (typeof v !== 'string' || v.length === 0 || v.length > 500 || /\s/.test(v))
        problems.push({
          field: `credentials.${name}`,
          message: `credentials.${name} must be a non-empty string`,
        });
      else out[name] = v;
    }
    if (!options.partial)
      for (const name of [...spec.required, ...(live ? (spec.liveRequired ?? []) : [])])
        if (!(name in out) && !problems.some((p) => p.field === `credentials.${name}`))
          problems.push({
            field: `credentials.${name}`,
            message: `credentials.${name} is required for ${connector}`,
          });
    // A key for the other mode would send test cards to a live account, or the reverse.
    if (connector === 'stripe' && out.secret_key) {
      const prefix = live ? /^(sk|rk)_live_/ : /^(sk|rk)_test_/;
      if (!prefix.test(out.secret_key))
        problems.push({
          field: 'credentials.secret_key',
          message: `credentials.secret_key must be a Stripe ${live ? 'live' : 'test'} secret key (${live ? 'sk_live_' : 'sk_test_'}…)`,
        });
    }
    if (connector === 'adyen' && out.hmac_key && !/^[0-9A-Fa-f]{32,128}$/.test(out.hmac_key))
      problems.push({
        field: 'credentials.hmac_key',
        message: 'credentials.hmac_key must be the hexadecimal HMAC key',
      });
    return out;
  }
}
