import { money } from './format';

/**
 * Spend of some calls: unpriced ones (a model missing from the pricing table) are shown as such,
 * never as $0.
 */
export function Spend(props: { cost: number; requests: number; unpriced: number }) {
  if (props.requests > 0 && props.unpriced === props.requests) return <span class="badge">unpriced</span>;
  return (
    <>
      {money(props.cost)}
      {props.unpriced > 0 && <span class="badge">+{props.unpriced} unpriced</span>}
    </>
  );
}

/** Whether a spend line means anything: a group whose calls are all unpriced has unknown spend, not $0. */
export const hasPricedCalls = (g: { requests: number; unpriced_requests: number }) => g.unpriced_requests < g.requests;
