/** The dashboard's frame: sign-in gate, header (navigation, Test/Live switch, language, account) and routes. */
import { Provider, useMutation, useQuery } from '@urql/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Route, Router, Switch } from 'wouter-preact';
import { useHashLocation } from 'wouter-preact/use-hash-location';
import { createClients, sessionEnded, type Mode } from './graphql.js';
import { LANGUAGES, setLanguage, t, type Language } from './i18n.js';
import { SignOutMutation, ViewerQuery, type Viewer } from './operations.js';
import { AcceptInvitation, SignIn } from './screens/sign-in.js';
import { Home } from './screens/home.js';
import { Payments } from './screens/payments.js';
import { PaymentDetail } from './screens/payment-detail.js';
import { Webhooks } from './screens/webhooks.js';
import { Developers } from './screens/developers.js';
import { Team } from './screens/team.js';
import { SessionContext, type Session } from './session.js';
import { Loading } from './ui.js';

const MODE_KEY = 'till.dashboard.mode';
const storedMode = (): Mode => (sessionStorage.getItem(MODE_KEY) === 'live' ? 'live' : 'test');

export function App({ initialLanguage }: { initialLanguage: Language }) {
  const [language, setLanguageState] = useState(initialLanguage);
  const [mode, setMode] = useState<Mode>(storedMode);
  // A new mode: new clients (cache and socket), so nothing of the other mode stays on screen.
  const clients = useMemo(() => createClients(mode), [mode]);
  useEffect(() => () => clients.dispose(), [clients]);
  const changeMode = (next: Mode) => {
    sessionStorage.setItem(MODE_KEY, next);
    setMode(next);
  };
  const changeLanguage = async (next: Language) => {
    await setLanguage(next);
    setLanguageState(next);
  };
  return (
    <Router hook={useHashLocation}>
      <Provider value={clients.urql} key={mode}>
        <Gate mode={mode} setMode={changeMode} language={language} setLanguage={changeLanguage} />
      </Provider>
    </Router>
  );
}

interface FrameProps {
  mode: Mode;
  setMode: (mode: Mode) => void;
  language: Language;
  setLanguage: (language: Language) => void;
}

function Gate(props: FrameProps) {
  const [viewerResult, refetchViewer] = useQuery({ query: ViewerQuery, requestPolicy: 'network-only' });
  const [location, navigate] = useHashLocation();
  const viewer = viewerResult.data?.viewer ?? null;
  const refresh = () => refetchViewer({ requestPolicy: 'network-only' });
  const publicRoute = location === '/sign-in' || location.startsWith('/invite/');

  useEffect(() => {
    sessionEnded.addEventListener('ended', refresh);
    return () => sessionEnded.removeEventListener('ended', refresh);
  }, []);

  useEffect(() => {
    if (viewerResult.fetching || (!viewerResult.data && !viewerResult.error)) return;
    if (!viewer && !publicRoute) navigate('/sign-in', { replace: true });
    if (viewer && publicRoute) navigate('/', { replace: true });
  }, [viewer, publicRoute, viewerResult.fetching, viewerResult.data, viewerResult.error]);

  if (!viewerResult.data && !viewerResult.error) return <Loading />;
  if (!viewer)
    return (
      <main id="main" class="auth-page">
        <LanguagePicker {...props} />
        <Switch>
          <Route path="/invite/:token">
            {(params) => <AcceptInvitation token={params.token} onDone={refresh} />}
          </Route>
          <Route>
            <SignIn onDone={refresh} />
          </Route>
        </Switch>
      </main>
    );
  return <Frame {...props} viewer={viewer} refresh={refresh} />;
}

function LanguagePicker({ language, setLanguage }: FrameProps) {
  return (
    <label class="language">
      {t('app.language')}
      <select value={language} onChange={(e) => setLanguage(e.currentTarget.value as Language)}>
        {Object.entries(LANGUAGES).map(([code, name]) => (
          <option key={code} value={code} lang={code}>
            {name}
          </option>
        ))}
      </select>
    </label>
  );
}

const NAV = [
  { path: '/', key: 'nav.home', permission: 'payments:read' },
  { path: '/payments', key: 'nav.payments', permission: 'payments:read' },
  { path: '/webhooks', key: 'nav.webhooks', permission: 'webhooks:read' },
  { path: '/developers', key: 'nav.developers', permission: 'events:read' },
  { path: '/team', key: 'nav.team', permission: 'team:read' },
] as const;

function Frame(props: FrameProps & { viewer: Viewer; refresh: () => void }) {
  const { viewer, mode, setMode, refresh } = props;
  const [location] = useHashLocation();
  const [, signOut] = useMutation(SignOutMutation);
  const session: Session = useMemo(
    () => ({ viewer, mode, can: (p) => viewer.permissions.includes(p), refresh }),
    [viewer, mode],
  );
  const leave = async (everywhere: boolean) => {
    await signOut({ everywhere });
    refresh();
  };
  const section = '/' + (location.split('/')[1] ?? '');
  return (
    <SessionContext.Provider value={session}>
      <a
        class="skip"
        href="#main"
        onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}
      >
        {t('app.skip')}
      </a>
      <header class={`top mode-${mode}`}>
        <div class="brand">
          <strong>Till</strong> <span class="merchant">{viewer.merchant.name}</span>
        </div>
        <nav aria-label={t('app.nav')}>
          <ul>
            {NAV.filter((n) => session.can(n.permission)).map((n) => (
              <li key={n.path}>
                <a href={`#${n.path}`} aria-current={section === n.path ? 'page' : undefined}>
                  {t(n.key)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="controls">
          <div class="mode-switch" role="group" aria-label={t('app.mode')}>
            {(['test', 'live'] as const).map((m) => (
              <button
                key={m}
                type="button"
                aria-pressed={mode === m}
                class={mode === m ? `on ${m}` : ''}
                onClick={() => setMode(m)}
                data-mode={m}
              >
                {t(m === 'test' ? 'app.test' : 'app.live')}
              </button>
            ))}
          </div>
          <LanguagePicker {...props} />
          <div class="account">
            <span class="muted">
              {t('app.account', {
                email: viewer.user?.email ?? '',
                role: viewer.role ? t(`team.${viewer.role}`) : '',
              })}
            </span>
            <button type="button" onClick={() => void leave(false)}>
              {t('app.signOut')}
            </button>
            <button type="button" onClick={() => void leave(true)}>
              {t('app.signOutEverywhere')}
            </button>
          </div>
        </div>
      </header>
      {mode === 'test' && (
        <p class="test-banner" role="note">
          {t('app.testBanner')}
        </p>
      )}
      <main id="main" tabIndex={-1}>
        <Switch>
          <Route path="/">
            <Home />
          </Route>
          <Route path="/payments">
            <Payments />
          </Route>
          <Route path="/payments/:id">{(params) => <PaymentDetail id={params.id} />}</Route>
          <Route path="/webhooks">
            <Webhooks />
          </Route>
          <Route path="/developers">
            <Developers />
          </Route>
          <Route path="/team">
            <Team />
          </Route>
          <Route>
            <p>{t('common.notFound')}</p>
          </Route>
        </Switch>
      </main>
    </SessionContext.Provider>
  );
}
