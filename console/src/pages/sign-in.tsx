import { useState } from 'preact/hooks';
import { api, unwrap } from '../api';
import { field } from '../ui';

const CSRF = { header: { 'x-lamplight-csrf': '1' } } as const;

/** Sign in or create an account; the session lands in an httpOnly cookie, never in the page. */
export function SignInPage(props: { mode: 'signin' | 'signup'; onSignedIn: () => void }) {
  const signup = props.mode === 'signup';
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const email = field(form, 'email');
    const password = field(form, 'password');
    setBusy(true);
    setError(null);
    try {
      if (signup)
        unwrap(
          await api.POST('/api/v1/auth/cookie/register', {
            params: CSRF,
            body: { email, password, name: field(form, 'name') },
          }),
        );
      else unwrap(await api.POST('/api/v1/auth/cookie/login', { params: CSRF, body: { email, password } }));
      props.onSignedIn();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="signin">
      <div class="card signin-card">
        <p class="brand big">
          <span aria-hidden="true">◐</span> Lamplight
        </p>
        <h1>{signup ? 'Create your account' : 'Sign in'}</h1>
        <form onSubmit={(e) => void submit(e)} noValidate={false}>
          {signup && (
            <label>
              Name
              <input name="name" autoComplete="name" required maxLength={200} />
            </label>
          )}
          <label>
            Email
            <input name="email" type="email" autoComplete="email" required maxLength={320} />
          </label>
          <label>
            Password
            <input
              name="password"
              type="password"
              autoComplete={signup ? 'new-password' : 'current-password'}
              required
              minLength={signup ? 12 : 1}
            />
            {signup && <span class="hint">At least 12 characters.</span>}
          </label>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Please wait…' : signup ? 'Create account' : 'Sign in'}
          </button>
        </form>
        <p class="switch">
          {signup ? (
            <>
              Have an account? <a href="/signin">Sign in</a>
            </>
          ) : (
            <>
              New to Lamplight? <a href="/signup">Create an account</a>
            </>
          )}
        </p>
      </div>
    </main>
  );
}
