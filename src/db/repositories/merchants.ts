import { LockMode } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { MerchantSchema, type Merchant } from '../entities/merchant.entity.js';
import { TerminalSchema } from '../entities/terminal.entity.js';
import type { Database } from '../orm.js';

export interface NewTerminal {
  id: string;
  currencies: string[];
  paymentMethods: string[];
  tokenization: boolean;
}

/** Merchants and their terminals. */
export class MerchantRepository {
  constructor(private readonly db: Database) {}

  /** Adds a merchant and its terminals to `tx`'s unit of work (written at its next flush). */
  add(
    tx: SqlEntityManager,
    merchant: { id: string; name: string; clientKey: string },
    terminals: NewTerminal[],
  ): void {
    tx.create(MerchantSchema, { ...merchant, createdAt: new Date() });
    for (const t of terminals) tx.create(TerminalSchema, { merchantId: merchant.id, ...t });
  }

  /** The merchant, managed by `tx` when given (changes to it are written at its flush). */
  async find(merchantId: string, tx: SqlEntityManager = this.db.em.fork()): Promise<Merchant | null> {
    return tx.findOne(MerchantSchema, { id: merchantId });
  }

  /** The merchant, its row locked for `tx` (FOR UPDATE), or null. */
  lock(tx: SqlEntityManager, merchantId: string): Promise<Merchant | null> {
    return tx.findOne(MerchantSchema, { id: merchantId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /** Makes `clientKey` the publishable key the merchant's hosted pages present. */
  async setClientKey(tx: SqlEntityManager, merchantId: string, clientKey: string): Promise<void> {
    await tx.nativeUpdate(MerchantSchema, { id: merchantId }, { clientKey });
  }

  async exists(merchantId: string): Promise<boolean> {
    return (await this.db.em.fork().count(MerchantSchema, { id: merchantId })) > 0;
  }
}
