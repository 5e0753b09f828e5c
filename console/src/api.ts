// Every call goes through Lamplight's generated client (sdk/), typed by the OpenAPI document.
// The session is an httpOnly cookie the page never sees; changes carry the CSRF header, and the
// chosen organization travels as X-Organization-Id.
import { createLamplightClient, type components } from '../../sdk/index.ts';

export type Schemas = components['schemas'];
export type Organization = Schemas['OrganizationResponseDto'];
export type Me = Schemas['MeResponseDto'];
export type SpendLimit = Schemas['SpendLimitDto'];
export type SpendByScope = Schemas['SpendByScopeDto'];
export type SpendSettings = Schemas['SpendSettingsDto'];

let organizationId: string | null = null;

export const api = createLamplightClient({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use({
  onRequest({ request }) {
    request.headers.set('x-lamplight-csrf', '1');
    if (organizationId) request.headers.set('x-organization-id', organizationId);
    return request;
  },
});

export function setOrganization(id: string | null): void {
  organizationId = id;
}

/** A problem document (or anything else) in words a person can act on. */
function describeError(error: unknown, response?: Response): string {
  if (error && typeof error === 'object') {
    const problem = error as { detail?: unknown; title?: unknown; errors?: Array<{ message?: unknown }> };
    const detail =
      typeof problem.detail === 'string' ? problem.detail : typeof problem.title === 'string' ? problem.title : null;
    const first = problem.errors?.[0]?.message;
    if (detail) return typeof first === 'string' && first !== detail ? `${detail}: ${first}` : detail;
  }
  if (response && response.status >= 500) return 'Lamplight could not answer just now. Try again in a moment.';
  if (response) return `The request failed (${response.status}).`;
  return 'Lamplight cannot be reached. Check your connection and try again.';
}

/** Unwraps an SDK result: the data, or an Error whose message is the problem's words. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    const error = new Error(describeError(result.error, result.response)) as Error & { status?: number };
    error.status = result.response.status;
    throw error;
  }
  return result.data;
}

export function statusOf(error: unknown): number | undefined {
  return (error as { status?: number } | null)?.status;
}
