import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { statusOf } from './api';

/** A text field's value from a form (a file input's value counts as empty). */
export function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}

/** Runs a change, then `onDone`; its failure is kept in words for an ErrorBox. */
export function useAction(onDone: () => void) {
  const [error, setError] = useState<string | null>(null);
  const run = async (action: () => Promise<unknown>) => {
    setError(null);
    try {
      await action();
      onDone();
      return true;
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      return false;
    }
  };
  return { error, run };
}

/** A share of a whole as a bar with its percentage in words (a value over 1 fills the bar). */
export function Meter(props: { value: number; label: string }) {
  const pct = Math.round(props.value * 1000) / 10;
  const level = props.value >= 1 ? 'over' : props.value >= 0.8 ? 'near' : 'ok';
  return (
    <div class="meter-wrap">
      <meter
        class={`meter ${level}`}
        min={0}
        max={1}
        low={0.8}
        high={0.99}
        optimum={0}
        value={Math.min(props.value, 1)}
        aria-label={props.label}
      />
      <span class="meter-text">{pct}%</span>
    </div>
  );
}

export type Load<T> =
  { state: 'loading' } | { state: 'error'; message: string; status?: number } | { state: 'ready'; data: T };

/** Runs `load` whenever `key` changes; `reload` runs it again. Stale answers are dropped. */
export function useLoad<T>(load: () => Promise<T>, key: string): [Load<T>, () => void] {
  const [state, setState] = useState<Load<T>>({ state: 'loading' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState((previous) => (previous.state === 'ready' && round > 0 ? previous : { state: 'loading' }));
    load().then(
      (data) => live && setState({ state: 'ready', data }),
      (error: unknown) =>
        live &&
        setState({
          state: 'error',
          message: error instanceof Error ? error.message : String(error),
          status: statusOf(error),
        }),
    );
    return () => {
      live = false;
    };
  }, [key, round]);
  return [state, useCallback(() => setRound((r) => r + 1), [])];
}

export function Loading(props: { label?: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" /> {props.label ?? 'Loading…'}
    </p>
  );
}

export function ErrorBox(props: { message: string; retry?: () => void }) {
  return (
    <div class="error" role="alert">
      <p>{props.message}</p>
      {props.retry && (
        <button type="button" onClick={props.retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <div class="empty">{props.children}</div>;
}

export function Show<T>(props: {
  load: Load<T>;
  retry?: () => void;
  children: (data: T) => ComponentChildren;
  label?: string;
}) {
  if (props.load.state === 'loading') return <Loading label={props.label} />;
  if (props.load.state === 'error') return <ErrorBox message={props.load.message} retry={props.retry} />;
  return <>{props.children(props.load.data)}</>;
}

export function Tile(props: { label: string; value: string; hint?: string }) {
  return (
    <div class="tile">
      <div class="tile-label">{props.label}</div>
      <div class="tile-value">{props.value}</div>
      {props.hint && <div class="tile-hint">{props.hint}</div>}
    </div>
  );
}

/** Copies text, saying so for screen readers too. */
export function CopyButton(props: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      onClick={() => {
        void navigator.clipboard?.writeText(props.text).then(
          () => setDone(true),
          () => setDone(false),
        );
      }}
    >
      {done ? 'Copied' : (props.label ?? 'Copy')}
    </button>
  );
}
