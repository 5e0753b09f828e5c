export class HealthResponseDto {
  /** @example "ok" */
  status: 'ok' | 'unavailable';
  /** Per dependency, for readiness. */
  checks?: Record<string, 'ok' | 'unavailable'>;
}
