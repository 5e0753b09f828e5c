import type { Schemas } from '../api';
import { number, when } from '../format';
import { Spend } from '../spend';

/** The sessions that cost the most, linking to their pages. */
export function TopSessions(props: { sessions: Schemas['AnalyticsSessionDto'][] }) {
  if (props.sessions.length === 0) return <p>No sessions yet.</p>;
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label="Top sessions by spend">
      <table class="cards">
        <thead>
          <tr>
            <th scope="col">Session</th>
            <th scope="col" class="num">
              Requests
            </th>
            <th scope="col" class="num">
              Spend
            </th>
          </tr>
        </thead>
        <tbody>
          {props.sessions.map((s) => (
            <tr key={s.session_uuid}>
              <td data-label="Session">
                <a href={`/sessions/${encodeURIComponent(s.session_uuid)}`}>{s.title ?? s.session_id}</a>
                <div class="sub">{when(s.end_time)}</div>
              </td>
              <td class="num" data-label="Requests">
                {number(s.total_requests)}
              </td>
              <td class="num" data-label="Spend">
                <Spend cost={s.total_cost_usd} requests={s.total_requests} unpriced={s.unpriced_requests} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
