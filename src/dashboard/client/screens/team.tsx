/** Team: members and their roles (change, remove), invitations (invite — the link shown once —, revoke). */
import { useMutation, useQuery } from '@urql/preact';
import { useState } from 'preact/hooks';
import { dateTime, t } from '../i18n.js';
import {
  InviteMutation,
  RemoveMemberMutation,
  RevokeInvitationMutation,
  ROLES,
  TeamQuery,
  UpdateRoleMutation,
  type Role,
  type TeamMember,
  type UserError,
} from '../operations.js';
import { useSession } from '../session.js';
import { ConfirmDialog, ErrorNote, Loading, SecretOnce, UserErrors } from '../ui.js';

export function Team() {
  const { can, viewer } = useSession();
  const writable = can('team:write');
  /** Only an owner hands out or takes away ownership. */
  const assignable = ROLES.filter((r) => r !== 'OWNER' || can('team:ownership'));
  const [{ data, error, fetching }, refetch] = useQuery({ query: TeamQuery, variables: {} });
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('DEVELOPER');
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
  const [removing, setRemoving] = useState<TeamMember | null>(null);
  const [userErrors, setUserErrors] = useState<UserError[]>([]);
  const [invited, invite] = useMutation(InviteMutation);
  const [updated, updateRole] = useMutation(UpdateRoleMutation);
  const [removed, remove] = useMutation(RemoveMemberMutation);
  const [revoked, revoke] = useMutation(RevokeInvitationMutation);
  const after = (errors: UserError[] | undefined) => {
    setUserErrors(errors ?? []);
    refetch({ requestPolicy: 'network-only' });
  };

  const sendInvite = async (e: Event) => {
    e.preventDefault();
    const answer = await invite({ email, role });
    const payload = answer.data?.inviteTeamMember;
    if (payload?.url) {
      setLink({ email, url: payload.url });
      setEmail('');
    }
    after(payload?.userErrors);
  };

  return (
    <section aria-labelledby="team-title">
      <h1 id="team-title">{t('team.title')}</h1>
      <ErrorNote error={error ?? invited.error ?? updated.error ?? removed.error ?? revoked.error} />
      <UserErrors errors={userErrors} />
      {link && (
        <SecretOnce
          label={t('team.inviteLink', { email: link.email })}
          value={link.url}
          onClose={() => setLink(null)}
        />
      )}
      {fetching && !data && <Loading />}
      {data && (
        <>
          <div class="card">
            <h2>{t('team.members')}</h2>
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('team.email')}</th>
                    <th scope="col">{t('team.role')}</th>
                    <th scope="col" class="hide-phone">
                      {t('common.status')}
                    </th>
                    <th scope="col" class="hide-phone">
                      {t('team.lastSignIn')}
                    </th>
                    {writable && <th scope="col">{t('common.actions')}</th>}
                  </tr>
                </thead>
                <tbody>
                  {data.teamMembers.map((m) => {
                    const self = m.id === viewer.user?.id;
                    const editable = writable && !self && (m.role !== 'OWNER' || can('team:ownership'));
                    return (
                      <tr key={m.id} data-member-email={m.email}>
                        <td>
                          {m.email} {self && <span class="muted">{t('team.you')}</span>}
                        </td>
                        <td>
                          {editable ? (
                            <select
                              aria-label={t('team.roleOf', { email: m.email })}
                              value={m.role}
                              onChange={async (e) =>
                                after(
                                  (await updateRole({ id: m.id, role: e.currentTarget.value as Role })).data
                                    ?.updateTeamMemberRole.userErrors,
                                )
                              }
                            >
                              {assignable.map((r) => (
                                <option key={r} value={r}>
                                  {t(`team.${r}`)}
                                </option>
                              ))}
                            </select>
                          ) : (
                            t(`team.${m.role}`)
                          )}
                        </td>
                        <td class="hide-phone">
                          {m.status === 'disabled' ? t('team.disabled') : t('team.active')}
                        </td>
                        <td class="hide-phone">{dateTime(m.lastSignInAt)}</td>
                        {writable && (
                          <td>
                            {editable && (
                              <button type="button" class="danger" onClick={() => setRemoving(m)}>
                                {t('team.remove')}
                              </button>
                            )}
                          </td>
                        )}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          </div>
          <div class="card">
            <h2>{t('team.invitations')}</h2>
            {data.invitations.length === 0 && <p class="muted">{t('common.none')}</p>}
            {data.invitations.length > 0 && (
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t('team.email')}</th>
                      <th scope="col">{t('team.role')}</th>
                      <th scope="col" class="hide-phone">
                        {t('team.expires')}
                      </th>
                      {writable && <th scope="col">{t('common.actions')}</th>}
                    </tr>
                  </thead>
                  <tbody>
                    {data.invitations.map((i) => (
                      <tr key={i.id}>
                        <td>{i.email}</td>
                        <td>{t(`team.${i.role}`)}</td>
                        <td class="hide-phone">{dateTime(i.expiresAt)}</td>
                        {writable && (
                          <td>
                            <button
                              type="button"
                              onClick={async () =>
                                after((await revoke({ id: i.id })).data?.revokeInvitation.userErrors)
                              }
                            >
                              {t('team.revoke')}
                            </button>
                          </td>
                        )}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            {writable && (
              <form class="inline-form" onSubmit={sendInvite} aria-labelledby="invite-title">
                <h3 id="invite-title">{t('team.inviteTitle')}</h3>
                <label>
                  {t('team.email')}
                  <input
                    type="email"
                    required
                    value={email}
                    onInput={(e) => setEmail(e.currentTarget.value)}
                  />
                </label>
                <label>
                  {t('team.role')}
                  <select value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
                    {assignable.map((r) => (
                      <option key={r} value={r}>
                        {t(`team.${r}`)}
                      </option>
                    ))}
                  </select>
                </label>
                <button type="submit" class="primary" disabled={invited.fetching}>
                  {t('team.invite')}
                </button>
              </form>
            )}
          </div>
        </>
      )}
      <ConfirmDialog
        open={removing !== null}
        title={t('team.remove')}
        confirmLabel={t('team.remove')}
        danger
        busy={removed.fetching}
        onConfirm={async () => {
          if (removing) after((await remove({ id: removing.id })).data?.removeTeamMember.userErrors);
          setRemoving(null);
        }}
        onCancel={() => setRemoving(null)}
      >
        <p>{removing && t('team.confirmRemove', { email: removing.email })}</p>
      </ConfirmDialog>
    </section>
  );
}
