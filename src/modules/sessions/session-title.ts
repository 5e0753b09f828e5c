import { buildMessage, ValidateBy, type ValidationOptions } from 'class-validator';

export const TITLE_MAX_CODE_POINTS = 60;

// Cc: C0 controls, DEL and C1 controls. Format characters (zero-width joiners, variation
// selectors) stay: emoji sequences are made of them.
const CONTROL_CHARACTERS = /\p{Cc}/gu;
// In a u-mode pattern only unpaired surrogates are Cs code points.
const LONE_SURROGATES = /\p{Cs}/gu;

/**
 * A title as stored: control characters removed, then trimmed, lone surrogates replaced.
 * Not normalized, so what the client sent is what it reads back. Non-strings pass through for
 * the validators to refuse.
 */
export function sanitizeTitle(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return value.replace(LONE_SURROGATES, '\uFFFD').replace(CONTROL_CHARACTERS, '').trim();
}

export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** Length in Unicode code points (an emoji is one, a combining mark is one more). */
export function CodePointLength(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'codePointLength',
      constraints: [min, max],
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && codePointLength(value) >= min && codePointLength(value) <= max,
        defaultMessage: buildMessage(
          (each) => `${each}$property must be ${min} to ${max} characters (Unicode code points) once trimmed`,
          options,
        ),
      },
    },
    options,
  );
}
