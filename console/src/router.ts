// A small history router: every page and filter lives in the URL, so links can be bookmarked and
// shared within the organization, and the back button works.
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  path: string;
  query: URLSearchParams;
}

const listeners = new Set<() => void>();

function current(): Route {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}

export function navigate(url: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  window.scrollTo(0, 0);
  for (const listener of listeners) listener();
}

window.addEventListener('popstate', () => {
  for (const listener of listeners) listener();
});

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const listener = () => setRoute(current());
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return route;
}

/** A same-origin link click becomes a navigation without a page load (modified clicks are left alone). */
export function onLinkClick(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey)
    return;
  const anchor = (event.target as Element | null)?.closest('a');
  if (!anchor || anchor.target || anchor.hasAttribute('download') || anchor.origin !== window.location.origin) return;
  if (
    anchor.pathname.startsWith('/api/') ||
    anchor.pathname.startsWith('/shared/') ||
    anchor.pathname.startsWith('/docs')
  )
    return;
  event.preventDefault();
  navigate(anchor.pathname + anchor.search);
}

/** The URL with some query parameters changed (empty values removed). */
export function withQuery(
  path: string,
  query: URLSearchParams,
  changes: Record<string, string | null | undefined>,
): string {
  const next = new URLSearchParams(query);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === '') next.delete(key);
    else next.set(key, value);
  }
  const text = next.toString();
  return text ? `${path}?${text}` : path;
}
