import { number, short } from '../format';
import { Spend } from '../spend';

export interface UsageRow {
  key: string;
  label: string;
  requests: number;
  error_requests: number;
  unpriced_requests: number;
  total_tokens: number;
  cost_usd: number;
}

/** Calls, errors, tokens and spend per model, API key or member over the period. */
export function UsageTable(props: { heading: string; rows: UsageRow[] }) {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={`Usage by ${props.heading.toLowerCase()}`}>
      <table class="cards">
        <thead>
          <tr>
            <th scope="col">{props.heading}</th>
            <th scope="col" class="num">
              Requests
            </th>
            <th scope="col" class="num">
              Errors
            </th>
            <th scope="col" class="num">
              Tokens
            </th>
            <th scope="col" class="num">
              Spend
            </th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={row.key}>
              <td data-label={props.heading}>{row.label}</td>
              <td class="num" data-label="Requests">
                {number(row.requests)}
              </td>
              <td class="num" data-label="Errors">
                {number(row.error_requests)}
              </td>
              <td class="num" data-label="Tokens">
                {short(row.total_tokens)}
              </td>
              <td class="num" data-label="Spend">
                <Spend cost={row.cost_usd} requests={row.requests} unpriced={row.unpriced_requests} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
