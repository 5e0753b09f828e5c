import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import type { Principal } from '../../../common/auth/principal';
import { routeBehaviourOf } from '../../../common/http/route-behaviour';
import { ApiKeysService } from '../../api-keys/api-keys.service';
import { presentedCredentials } from './credentials';

/**
 * Platform API keys (`lmp_…`), looked up by HMAC digest on every request, except on the proxy's
 * Messages route, which may be answered from a per-instance cache that every change to keys
 * empties at once on every instance (see ApiKeysService and CacheInvalidation).
 */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(Strategy, 'api-key') {
  constructor(private readonly apiKeys: ApiKeysService) {
    super();
  }

  async validate(request: FastifyRequest): Promise<Principal | null> {
    const key = presentedCredentials(request).platformKey;
    // Only routes that declare it (the proxy's Messages route, the hot path) may be answered from the cache.
    return key ? this.apiKeys.authenticate(key, undefined, { cached: routeBehaviourOf(request).authCache }) : null;
  }
}
