import { Inject, Injectable } from '@nestjs/common';
import { request } from 'undici';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';

export interface KeyCheckResult {
  valid: boolean;
  /** The upstream's HTTP status, or null when it could not be reached. */
  upstreamStatus: number | null;
  message: string;
}

/**
 * Checks an Anthropic key against the configured upstream (never a URL from the request) by
 * listing one model: no tokens are spent and nothing is stored.
 */
@Injectable()
export class AnthropicKeyVerifier {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async check(key: string): Promise<KeyCheckResult> {
    try {
      const response = await request(`${this.config.anthropicBaseUrl}/v1/models?limit=1`, {
        method: 'GET',
        headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' },
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      await response.body.dump();
      const status = response.statusCode;
      if (status >= 200 && status < 300) return { valid: true, upstreamStatus: status, message: 'The key works' };
      if (status === 401) return { valid: false, upstreamStatus: status, message: 'Anthropic rejected the key' };
      if (status === 403) {
        return { valid: false, upstreamStatus: status, message: 'The key lacks permission for the Messages API' };
      }
      return { valid: false, upstreamStatus: status, message: `Anthropic answered with status ${status}` };
    } catch {
      return { valid: false, upstreamStatus: null, message: 'Anthropic could not be reached' };
    }
  }
}
