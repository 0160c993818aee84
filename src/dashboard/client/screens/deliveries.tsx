/** A table of webhook deliveries: event, status, HTTP answer and its excerpt, optional redeliver. */
import { dateTime, t } from '../i18n.js';
import type { WebhookDelivery } from '../operations.js';
import { Dotted, StatusBadge } from '../ui.js';

export function DeliveryTable({
  deliveries,
  onRedeliver,
}: {
  deliveries: WebhookDelivery[];
  onRedeliver?: (delivery: WebhookDelivery) => void;
}) {
  if (deliveries.length === 0) return <p class="muted">{t('common.none')}</p>;
  return (
    <div class="table-wrap">
      <table class="deliveries">
        <thead>
          <tr>
            <th scope="col">{t('webhooks.event')}</th>
            <th scope="col">{t('common.status')}</th>
            <th scope="col">{t('webhooks.response')}</th>
            <th scope="col" class="hide-phone">
              {t('webhooks.attempts')}
            </th>
            <th scope="col" class="hide-phone">
              {t('common.created')}
            </th>
            {onRedeliver && <th scope="col">{t('common.actions')}</th>}
          </tr>
        </thead>
        <tbody>
          {deliveries.map((d) => (
            <tr key={d.id} data-delivery-id={d.id} data-event-type={d.eventType}>
              <td>
                <Dotted text={d.eventType} />
                {d.paymentId && (
                  <span class="hide-phone">
                    {' '}
                    <a href={`#/payments/${d.paymentId}`} class="mono small">
                      {d.paymentId}
                    </a>
                  </span>
                )}
              </td>
              <td>
                <StatusBadge status={d.status} label={d.status} />
              </td>
              <td>
                {d.responseStatus !== null && (
                  <strong data-testid="response-status">{d.responseStatus}</strong>
                )}{' '}
                {d.responseExcerpt && <code class="excerpt">{d.responseExcerpt}</code>}
              </td>
              <td class="num hide-phone">{d.attempts}</td>
              <td class="hide-phone">{dateTime(d.lastAttemptAt ?? d.createdAt)}</td>
              {onRedeliver && (
                <td>
                  <button type="button" onClick={() => onRedeliver(d)}>
                    {t('webhooks.redeliver')}
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
