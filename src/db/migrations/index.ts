import { Migration20261122000001Init } from './Migration20261122000001Init.js';
import { Migration20261122000002ApiDialect } from './Migration20261122000002ApiDialect.js';
import { Migration20261122000003Checkout } from './Migration20261122000003Checkout.js';
import { Migration20261122000004AfterThePage } from './Migration20261122000004AfterThePage.js';
import { Migration20261122000005Credentials } from './Migration20261122000005Credentials.js';
import { Migration20261122000006WebhookIsolation } from './Migration20261122000006WebhookIsolation.js';
import { Migration20261122000007SealedSecrets } from './Migration20261122000007SealedSecrets.js';
import { Migration20261122000008EventTraceparent } from './Migration20261122000008EventTraceparent.js';
import { Migration20261123000009Connectors } from './Migration20261123000009Connectors.js';
import { Migration20261123000010DashboardUsers } from './Migration20261123000010DashboardUsers.js';
import { Migration20261123000011PaymentLocale } from './Migration20261123000011PaymentLocale.js';
import { Migration20261123000012DashboardQueries } from './Migration20261123000012DashboardQueries.js';
import { Migration20261123000013ListIndexes } from './Migration20261123000013ListIndexes.js';
import { Migration20261123000014ListOrder } from './Migration20261123000014ListOrder.js';
import { Migration20261123000015EventAnnouncedBy } from './Migration20261123000015EventAnnouncedBy.js';

/** Every migration, oldest first. Listed explicitly so the ESM build never depends on a file glob. */
export const migrations = [
  Migration20261122000001Init,
  Migration20261122000002ApiDialect,
  Migration20261122000003Checkout,
  Migration20261122000004AfterThePage,
  Migration20261122000005Credentials,
  Migration20261122000006WebhookIsolation,
  Migration20261122000007SealedSecrets,
  Migration20261122000008EventTraceparent,
  Migration20261123000009Connectors,
  Migration20261123000010DashboardUsers,
  Migration20261123000011PaymentLocale,
  Migration20261123000012DashboardQueries,
  Migration20261123000013ListIndexes,
  Migration20261123000014ListOrder,
  Migration20261123000015EventAnnouncedBy,
];
