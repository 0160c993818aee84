/**
 * Webhooks: endpoints (add, edit, disable, rotate the secret — shown once —, delete, send a test
 * event) and the delivery log with the answers Till got, each redeliverable.
 */
import { useMutation, useQuery } from '@urql/preact';
import { useState } from 'preact/hooks';
import { dateTime, t } from '../i18n.js';
import {
  CreateEndpointMutation,
  DeleteEndpointMutation,
  RedeliverMutation,
  RotateEndpointSecretMutation,
  SendTestEventMutation,
  UpdateEndpointMutation,
  WebhookDeliveriesQuery,
  WebhookEndpointsQuery,
  type UserError,
  type WebhookEndpoint,
} from '../operations.js';
import { useSession } from '../session.js';
import { ConfirmDialog, ErrorNote, Loading, Notice, SecretOnce, StatusBadge, UserErrors } from '../ui.js';
import { DeliveryTable } from './deliveries.js';

type Pending = { kind: 'rotate' | 'delete'; endpoint: WebhookEndpoint } | null;

export function Webhooks() {
  const { can } = useSession();
  const writable = can('webhooks:write');
  const [endpoints, refetchEndpoints] = useQuery({ query: WebhookEndpointsQuery, variables: {} });
  const [deliveries, refetchDeliveries] = useQuery({
    query: WebhookDeliveriesQuery,
    variables: { endpointId: null, first: 50 },
  });
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [editing, setEditing] = useState<{ id: string; url: string; description: string } | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [userErrors, setUserErrors] = useState<UserError[]>([]);
  const [pending, setPending] = useState<Pending>(null);
  const [created, create] = useMutation(CreateEndpointMutation);
  const [updated, update] = useMutation(UpdateEndpointMutation);
  const [rotated, rotate] = useMutation(RotateEndpointSecretMutation);
  const [deleted, remove] = useMutation(DeleteEndpointMutation);
  const [redelivered, redeliver] = useMutation(RedeliverMutation);
  const [tested, sendTest] = useMutation(SendTestEventMutation);

  const reload = () => {
    refetchEndpoints({ requestPolicy: 'network-only' });
    refetchDeliveries({ requestPolicy: 'network-only' });
  };
  const done = (errors: UserError[] | undefined, message?: string) => {
    setUserErrors(errors ?? []);
    setNotice(errors?.length ? null : (message ?? null));
    reload();
  };

  const add = async (e: Event) => {
    e.preventDefault();
    const answer = await create({ input: { url, description: description || undefined } });
    const payload = answer.data?.createWebhookEndpoint;
    if (payload?.secret) {
      setSecret(payload.secret);
      setUrl('');
      setDescription('');
    }
    done(payload?.userErrors);
  };
  const save = async (e: Event) => {
    e.preventDefault();
    if (!editing) return;
    const answer = await update({
      id: editing.id,
      input: { url: editing.url, description: editing.description },
    });
    if (!answer.data?.updateWebhookEndpoint.userErrors.length) setEditing(null);
    done(answer.data?.updateWebhookEndpoint.userErrors);
  };
  const toggle = async (endpoint: WebhookEndpoint) => {
    const answer = await update({ id: endpoint.id, input: { disabled: endpoint.status !== 'disabled' } });
    done(answer.data?.updateWebhookEndpoint.userErrors);
  };
  const confirm = async () => {
    if (!pending) return;
    if (pending.kind === 'rotate') {
      const answer = await rotate({ id: pending.endpoint.id });
      if (answer.data?.rotateWebhookEndpointSecret.secret)
        setSecret(answer.data.rotateWebhookEndpointSecret.secret);
      done(answer.data?.rotateWebhookEndpointSecret.userErrors);
    } else {
      const answer = await remove({ id: pending.endpoint.id });
      done(answer.data?.deleteWebhookEndpoint.userErrors);
    }
    setPending(null);
  };

  const error =
    endpoints.error ??
    deliveries.error ??
    created.error ??
    updated.error ??
    rotated.error ??
    deleted.error ??
    redelivered.error ??
    tested.error;

  return (
    <section aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">{t('webhooks.title')}</h1>
      <ErrorNote error={error} />
      <UserErrors errors={userErrors} />
      {notice && <Notice>{notice}</Notice>}
      {secret && <SecretOnce label={t('webhooks.secret')} value={secret} onClose={() => setSecret(null)} />}
      <div class="card">
        <h2>{t('webhooks.endpoints')}</h2>
        {endpoints.fetching && !endpoints.data && <Loading />}
        {endpoints.data?.webhookEndpoints.length === 0 && <p class="muted">{t('common.none')}</p>}
        <ul class="endpoints">
          {endpoints.data?.webhookEndpoints.map((ep) => (
            <li key={ep.id} data-endpoint-id={ep.id}>
              {editing?.id === ep.id ? (
                <form class="inline-form" onSubmit={save} aria-label={t('common.edit')}>
                  <label>
                    {t('webhooks.url')}
                    <input
                      type="url"
                      required
                      value={editing.url}
                      onInput={(e) => setEditing({ ...editing, url: e.currentTarget.value })}
                    />
                  </label>
                  <label>
                    {t('webhooks.description')}
                    <input
                      value={editing.description}
                      onInput={(e) => setEditing({ ...editing, description: e.currentTarget.value })}
                    />
                  </label>
                  <button type="submit" class="primary">
                    {t('common.save')}
                  </button>
                  <button type="button" onClick={() => setEditing(null)}>
                    {t('common.cancel')}
                  </button>
                </form>
              ) : (
                <>
                  <div>
                    <span class="mono">{ep.url}</span> <StatusBadge status={ep.status} label={ep.status} />
                    {ep.description && <div class="muted">{ep.description}</div>}
                    <div class="muted small">
                      {ep.enabledEvents.join(', ')} · {dateTime(ep.createdAt)}
                    </div>
                  </div>
                  {writable && (
                    <div class="row wrap">
                      <button
                        type="button"
                        onClick={() =>
                          setEditing({ id: ep.id, url: ep.url, description: ep.description ?? '' })
                        }
                      >
                        {t('common.edit')}
                      </button>
                      <button type="button" onClick={() => void toggle(ep)}>
                        {ep.status === 'disabled' ? t('webhooks.enable') : t('webhooks.disable')}
                      </button>
                      <button type="button" onClick={() => setPending({ kind: 'rotate', endpoint: ep })}>
                        {t('webhooks.rotate')}
                      </button>
                      <button
                        type="button"
                        onClick={async () => {
                          const answer = await sendTest({ endpointId: ep.id });
                          done(answer.data?.sendTestWebhookEvent.userErrors, t('webhooks.testSent'));
                        }}
                      >
                        {t('webhooks.sendTest')}
                      </button>
                      <button
                        type="button"
                        class="danger"
                        onClick={() => setPending({ kind: 'delete', endpoint: ep })}
                      >
                        {t('common.delete')}
                      </button>
                    </div>
                  )}
                </>
              )}
            </li>
          ))}
        </ul>
        {writable && (
          <form class="inline-form" onSubmit={add} aria-labelledby="add-endpoint">
            <h3 id="add-endpoint">{t('webhooks.add')}</h3>
            <label>
              {t('webhooks.url')}
              <input
                type="url"
                required
                placeholder="https://example.com/webhooks/till"
                value={url}
                onInput={(e) => setUrl(e.currentTarget.value)}
              />
            </label>
            <label>
              {t('webhooks.description')}
              <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
            </label>
            <button type="submit" class="primary" disabled={created.fetching}>
              {t('webhooks.add')}
            </button>
          </form>
        )}
      </div>
      <div class="card">
        <div class="row between">
          <h2>{t('webhooks.deliveries')}</h2>
          <button type="button" onClick={reload}>
            ↻ <span class="sr-only">{t('webhooks.deliveries')}</span>
          </button>
        </div>
        {deliveries.fetching && !deliveries.data && <Loading />}
        {deliveries.data && (
          <DeliveryTable
            deliveries={deliveries.data.webhookDeliveries.edges.map((e) => e.node)}
            onRedeliver={
              writable
                ? async (d) => {
                    const answer = await redeliver({ id: d.id });
                    done(answer.data?.redeliverWebhookDelivery.userErrors, t('webhooks.redelivered'));
                  }
                : undefined
            }
          />
        )}
      </div>
      <ConfirmDialog
        open={pending !== null}
        title={pending?.kind === 'delete' ? t('common.delete') : t('webhooks.rotate')}
        confirmLabel={pending?.kind === 'delete' ? t('common.delete') : t('webhooks.rotate')}
        danger
        busy={rotated.fetching || deleted.fetching}
        onConfirm={() => void confirm()}
        onCancel={() => setPending(null)}
      >
        <p>
          {pending &&
            t(pending.kind === 'delete' ? 'webhooks.confirmDelete' : 'webhooks.confirmRotate', {
              url: pending.endpoint.url,
            })}
        </p>
      </ConfirmDialog>
    </section>
  );
}
