/**
 * Developers: API keys, masked to their last four (create, roll with a day's overlap, revoke; a new
 * key is shown once), the events log and the audit log.
 */
import { useMutation, useQuery } from '@urql/preact';
import { useState } from 'preact/hooks';
import { dateTime, t } from '../i18n.js';
import {
  ApiKeysQuery,
  AuditLogQuery,
  CreateApiKeyMutation,
  EventsQuery,
  RevokeApiKeyMutation,
  RollApiKeyMutation,
  type ApiKey,
  type UserError,
} from '../operations.js';
import { useSession } from '../session.js';
import { ConfirmDialog, Dotted, ErrorNote, Loading, SecretOnce, StatusBadge, UserErrors } from '../ui.js';

/** A rolled key keeps working this long, so deployments can switch over. */
const ROLL_OVERLAP_SECONDS = 86_400;

export function Developers() {
  const { can } = useSession();
  return (
    <section aria-labelledby="developers-title">
      <h1 id="developers-title">{t('developers.title')}</h1>
      {can('keys:read') && <ApiKeys writable={can('keys:write')} />}
      {can('events:read') && <EventsLog />}
      {can('audit:read') && <AuditLog />}
    </section>
  );
}

function ApiKeys({ writable }: { writable: boolean }) {
  const [keys, refetch] = useQuery({ query: ApiKeysQuery, variables: {} });
  const [secret, setSecret] = useState<string | null>(null);
  const [pending, setPending] = useState<{ kind: 'roll' | 'revoke'; key: ApiKey } | null>(null);
  const [userErrors, setUserErrors] = useState<UserError[]>([]);
  const [created, create] = useMutation(CreateApiKeyMutation);
  const [rolled, roll] = useMutation(RollApiKeyMutation);
  const [revoked, revoke] = useMutation(RevokeApiKeyMutation);
  const after = (payload: { secret?: string | null; userErrors: UserError[] } | undefined) => {
    if (payload?.secret) setSecret(payload.secret);
    setUserErrors(payload?.userErrors ?? []);
    refetch({ requestPolicy: 'network-only' });
  };
  const confirm = async () => {
    if (!pending) return;
    if (pending.kind === 'roll')
      after((await roll({ id: pending.key.id, expiresInSeconds: ROLL_OVERLAP_SECONDS })).data?.rollApiKey);
    else after((await revoke({ id: pending.key.id })).data?.revokeApiKey);
    setPending(null);
  };
  return (
    <div class="card">
      <h2>{t('developers.keys')}</h2>
      <ErrorNote error={keys.error ?? created.error ?? rolled.error ?? revoked.error} />
      <UserErrors errors={userErrors} />
      {secret && <SecretOnce label={t('developers.newKey')} value={secret} onClose={() => setSecret(null)} />}
      {keys.fetching && !keys.data && <Loading />}
      {keys.data && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('developers.key')}</th>
                <th scope="col" class="hide-phone">
                  {t('developers.type')}
                </th>
                <th scope="col">{t('common.status')}</th>
                <th scope="col" class="hide-phone">
                  {t('common.created')}
                </th>
                <th scope="col" class="hide-phone">
                  {t('developers.expires')}
                </th>
                {writable && <th scope="col">{t('common.actions')}</th>}
              </tr>
            </thead>
            <tbody>
              {keys.data.apiKeys.map((k) => (
                <tr key={k.id} data-key-id={k.id}>
                  <td class="mono nowrap">{k.redacted}</td>
                  <td class="hide-phone">{t(`developers.${k.type}`)}</td>
                  <td>
                    <StatusBadge status={k.status} label={t(`developers.${k.status}`)} />
                  </td>
                  <td class="hide-phone">{dateTime(k.createdAt)}</td>
                  <td class="hide-phone">{dateTime(k.expiresAt)}</td>
                  {writable && (
                    <td>
                      <div class="row">
                        {(k.status === 'ACTIVE' || k.status === 'EXPIRING') && (
                          <>
                            {k.status === 'ACTIVE' && (
                              <button type="button" onClick={() => setPending({ kind: 'roll', key: k })}>
                                {t('developers.roll')}
                              </button>
                            )}
                            <button
                              type="button"
                              class="danger"
                              onClick={() => setPending({ kind: 'revoke', key: k })}
                            >
                              {t('developers.revoke')}
                            </button>
                          </>
                        )}
                      </div>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {writable && (
        <div class="row">
          <button
            type="button"
            onClick={async () => after((await create({ type: 'SECRET' })).data?.createApiKey)}
          >
            {t('developers.createSecret')}
          </button>
          <button
            type="button"
            onClick={async () => after((await create({ type: 'PUBLISHABLE' })).data?.createApiKey)}
          >
            {t('developers.createPublishable')}
          </button>
        </div>
      )}
      <ConfirmDialog
        open={pending !== null}
        title={pending ? t(`developers.${pending.kind}`) : ''}
        confirmLabel={pending ? t(`developers.${pending.kind}`) : ''}
        danger
        busy={rolled.fetching || revoked.fetching}
        onConfirm={() => void confirm()}
        onCancel={() => setPending(null)}
      >
        <p>
          {pending &&
            t(pending.kind === 'roll' ? 'developers.confirmRoll' : 'developers.confirmRevoke', {
              key: pending.key.redacted,
            })}
        </p>
      </ConfirmDialog>
    </div>
  );
}

function EventsLog() {
  const [{ data, error, fetching }] = useQuery({ query: EventsQuery, variables: { first: 25 } });
  return (
    <div class="card">
      <h2>{t('developers.events')}</h2>
      <ErrorNote error={error} />
      {fetching && !data && <Loading />}
      {data && data.events.edges.length === 0 && <p class="muted">{t('common.none')}</p>}
      {data && data.events.edges.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('webhooks.event')}</th>
                <th scope="col" class="hide-phone">
                  {t('common.id')}
                </th>
                <th scope="col">{t('common.created')}</th>
              </tr>
            </thead>
            <tbody>
              {data.events.edges.map(({ node: e }) => (
                <tr key={e.id}>
                  <td>
                    <Dotted text={e.type} />
                  </td>
                  <td class="mono small hide-phone">{e.id}</td>
                  <td>{dateTime(e.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function AuditLog() {
  const [{ data, error, fetching }] = useQuery({ query: AuditLogQuery, variables: { first: 25 } });
  return (
    <div class="card">
      <h2>{t('developers.audit')}</h2>
      <ErrorNote error={error} />
      {fetching && !data && <Loading />}
      {data && data.auditLog.edges.length === 0 && <p class="muted">{t('common.none')}</p>}
      {data && data.auditLog.edges.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('developers.action')}</th>
                <th scope="col" class="hide-phone">
                  {t('developers.actor')}
                </th>
                <th scope="col">{t('developers.object')}</th>
                <th scope="col">{t('common.created')}</th>
              </tr>
            </thead>
            <tbody>
              {data.auditLog.edges.map(({ node: a }) => (
                <tr key={a.id}>
                  <td>
                    <Dotted text={a.action} />
                  </td>
                  <td class="small hide-phone">
                    {a.actorType}
                    {a.actorId ? ` ${a.actorId}` : ''}
                  </td>
                  <td class="small mono">
                    {a.objectType}
                    {a.objectId ? ` ${a.objectId}` : ''}
                  </td>
                  <td>{dateTime(a.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
