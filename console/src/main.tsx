import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type Me, setOrganization, statusOf, unwrap } from './api';
import { OverviewPage } from './pages/overview';
import { SessionPage } from './pages/session';
import { SessionsPage } from './pages/sessions';
import { SettingsPage } from './pages/settings';
import { SignInPage } from './pages/sign-in';
import { navigate, onLinkClick, useRoute } from './router';
import { ErrorBox, Loading } from './ui';
import './styles.css';

const ORGANIZATION_KEY = 'lamplight.organization';

type Auth =
  | { state: 'checking' }
  | { state: 'signed-out' }
  | { state: 'failed'; message: string }
  | { state: 'signed-in'; me: Me };

function App() {
  const route = useRoute();
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });
  const [organizationId, setOrganizationId] = useState<string | null>(null);

  const refresh = async () => {
    try {
      const me = unwrap(await api.GET('/api/v1/auth/me'));
      const stored = window.localStorage.getItem(ORGANIZATION_KEY);
      const chosen =
        me.organizations.find((o) => o.id === stored)?.id ??
        me.user.defaultOrganizationId ??
        me.organizations[0]?.id ??
        null;
      setOrganization(chosen);
      setOrganizationId(chosen);
      setAuth({ state: 'signed-in', me });
    } catch (error) {
      if (statusOf(error) === 401) setAuth({ state: 'signed-out' });
      else setAuth({ state: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  };
  useEffect(() => void refresh(), []);

  useEffect(() => {
    document.addEventListener('click', onLinkClick);
    return () => document.removeEventListener('click', onLinkClick);
  }, []);

  // Signed in on the sign-in or sign-up address (a bookmark, the back button): go to the overview.
  const onSignInPage = route.path === '/signin' || route.path === '/signup';
  useEffect(() => {
    if (auth.state === 'signed-in' && onSignInPage) navigate('/', { replace: true });
  }, [auth.state, onSignInPage]);

  if (auth.state === 'checking') return <Loading label="Opening Lamplight…" />;
  if (auth.state === 'failed') return <ErrorBox message={auth.message} retry={() => void refresh()} />;
  if (auth.state === 'signed-out') {
    return <SignInPage mode={route.path === '/signup' ? 'signup' : 'signin'} onSignedIn={() => void refresh()} />;
  }
  if (onSignInPage) return <Loading />;

  const me = auth.me;
  const organization = me.organizations.find((o) => o.id === organizationId) ?? null;
  const switchOrganization = (id: string) => {
    window.localStorage.setItem(ORGANIZATION_KEY, id);
    setOrganization(id);
    setOrganizationId(id);
    navigate('/');
  };
  const signOut = async () => {
    await api.POST('/api/v1/auth/cookie/logout', { params: { header: { 'x-lamplight-csrf': '1' } } });
    setOrganization(null);
    setAuth({ state: 'signed-out' });
    navigate('/signin', { replace: true });
  };

  const section = route.path.split('/')[1] ?? '';
  let page;
  if (!organization) page = <ErrorBox message="You are not a member of any organization." />;
  else if (route.path === '/' || route.path === '')
    page = <OverviewPage key={organization.id} organization={organization} query={route.query} />;
  else if (route.path === '/sessions')
    page = <SessionsPage key={organization.id} organization={organization} query={route.query} />;
  else if (route.path.startsWith('/sessions/'))
    page = (
      <SessionPage
        key={organization.id + route.path}
        organization={organization}
        me={me}
        sessionId={decodeURIComponent(route.path.slice('/sessions/'.length))}
      />
    );
  else if (route.path === '/settings' || route.path.startsWith('/settings/'))
    page = (
      <SettingsPage
        key={organization.id}
        organization={organization}
        me={me}
        section={route.path.split('/')[2] ?? 'api-keys'}
        query={route.query}
        onChanged={() => void refresh()}
      />
    );
  else page = <ErrorBox message="There is no such page in the console." />;

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/">
          <span aria-hidden="true">◐</span> Lamplight
        </a>
        <nav aria-label="Main">
          <a href="/" aria-current={section === '' ? 'page' : undefined}>
            Overview
          </a>
          <a href="/sessions" aria-current={section === 'sessions' ? 'page' : undefined}>
            Sessions
          </a>
          <a href="/settings" aria-current={section === 'settings' ? 'page' : undefined}>
            Settings
          </a>
        </nav>
        <div class="account">
          <label class="visually-hidden" for="org-switcher">
            Organization
          </label>
          <select
            id="org-switcher"
            value={organizationId ?? ''}
            onChange={(e) => switchOrganization((e.target as HTMLSelectElement).value)}
          >
            {me.organizations.map((o) => (
              <option value={o.id} key={o.id}>
                {o.name}
              </option>
            ))}
          </select>
          <span class="who" title={me.user.email}>
            {me.user.name}
          </span>
          <button type="button" class="link" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
