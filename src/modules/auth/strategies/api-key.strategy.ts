import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import type { Principal } from '../../../common/auth/principal';
import { ApiKeysService } from '../../api-keys/api-keys.service';
import { extractPlatformKey } from './credentials';

/** Platform API keys (`lmp_…`), looked up by HMAC digest on every request so revocation is immediate. */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(Strategy, 'api-key') {
  constructor(private readonly apiKeys: ApiKeysService) {
    super();
  }

  async validate(request: FastifyRequest): Promise<Principal | null> {
    const key = extractPlatformKey(request);
    return key ? this.apiKeys.authenticate(key) : null;
  }
}
