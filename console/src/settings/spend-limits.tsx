import type { Organization } from '../api';

/**
 * Spend limits have their own routes under /api/v1; this section shows and edits them once the
 * gateway offers them. Until then it says so, rather than pretending.
 */
export function SpendLimitsSection(_props: { organization: Organization; isAdmin: boolean }) {
  return (
    <div class="card">
      <h2>Spend limits</h2>
      <p>Spend limits for the organization, API keys, members and sessions will be managed here.</p>
    </div>
  );
}
