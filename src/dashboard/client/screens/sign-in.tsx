/** Signing in, and accepting an invitation (choosing a password); both set the session cookie. */
import { useMutation } from '@urql/preact';
import { useState } from 'preact/hooks';
import { errorCode } from '../graphql.js';
import { t } from '../i18n.js';
import { AcceptInvitationMutation, SignInMutation } from '../operations.js';
import { ErrorNote, UserErrors } from '../ui.js';

export function SignIn({ onDone }: { onDone: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [result, signIn] = useMutation(SignInMutation);
  const [failed, setFailed] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setFailed(null);
    const answer = await signIn({ email, password });
    if (errorCode(answer.error) === 'RATE_LIMITED') return setFailed(t('signIn.throttled'));
    const payload = answer.data?.signIn;
    if (payload?.userErrors.some((u) => u.code === 'invalid_credentials'))
      return setFailed(t('signIn.invalid'));
    if (payload?.viewer) onDone();
  };
  const payload = result.data?.signIn;
  return (
    <form class="card auth" onSubmit={submit} aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">{t('signIn.title')}</h1>
      {failed ? (
        <p class="notice error" role="alert">
          {failed}
        </p>
      ) : (
        <>
          <UserErrors errors={payload?.userErrors} />
          {errorCode(result.error) !== 'RATE_LIMITED' && <ErrorNote error={result.error} />}
        </>
      )}
      <label>
        {t('signIn.email')}
        <input
          type="email"
          name="email"
          autoComplete="username"
          required
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
      </label>
      <label>
        {t('signIn.password')}
        <input
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      <button type="submit" class="primary" disabled={result.fetching}>
        {t('signIn.submit')}
      </button>
    </form>
  );
}

export function AcceptInvitation({ token, onDone }: { token: string; onDone: () => void }) {
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const [result, accept] = useMutation(AcceptInvitationMutation);
  const submit = async (e: Event) => {
    e.preventDefault();
    setMismatch(password !== repeat);
    if (password !== repeat) return;
    const answer = await accept({ token, password });
    if (answer.data?.acceptInvitation.viewer) onDone();
  };
  return (
    <form class="card auth" onSubmit={submit} aria-labelledby="invite-title">
      <h1 id="invite-title">{t('invite.title')}</h1>
      <p>{t('invite.intro')}</p>
      {mismatch && (
        <p class="notice error" role="alert">
          {t('invite.mismatch')}
        </p>
      )}
      <UserErrors errors={result.data?.acceptInvitation.userErrors} />
      <ErrorNote error={result.error} />
      <label>
        {t('invite.password')}
        <input
          type="password"
          autoComplete="new-password"
          required
          minLength={12}
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      <label>
        {t('invite.repeat')}
        <input
          type="password"
          autoComplete="new-password"
          required
          value={repeat}
          onInput={(e) => setRepeat(e.currentTarget.value)}
        />
      </label>
      <button type="submit" class="primary" disabled={result.fetching}>
        {t('invite.submit')}
      </button>
    </form>
  );
}
