import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { ProviderKeysModule } from '../provider-keys/provider-keys.module';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { RecordingModule } from '../recording/recording.module';
import { SessionsModule } from '../sessions/sessions.module';
import { SpendLimitsModule } from '../spend-limits/spend-limits.module';
import {
  ProxyBatchesController,
  ProxyController,
  ProxyFilesController,
  ProxyModelsController,
  ProxyProbeController,
} from './proxy.controller';
import { ProviderObjectsRepository } from './provider-objects.repository';
import { ProxyResourcesService } from './proxy-resources.service';
import { ProxyLimiter } from './proxy-limits.service';
import { ProxyService } from './proxy.service';
import { CallChecks } from './call/call-checks.service';
import { MessagesCalls } from './call/messages-calls.service';
import { UpstreamExchange } from './call/upstream-exchange.service';
import { UpstreamClient } from './upstream-client.service';

@Module({
  imports: [ProviderKeysModule, SessionsModule, RecordingModule, ApiKeysModule, OrganizationsModule, SpendLimitsModule],
  controllers: [
    ProxyController,
    ProxyModelsController,
    ProxyBatchesController,
    ProxyFilesController,
    ProxyProbeController,
  ],
  providers: [
    ProxyService,
    ProxyResourcesService,
    ProviderObjectsRepository,
    UpstreamClient,
    ProxyLimiter,
    CallChecks,
    MessagesCalls,
    UpstreamExchange,
  ],
  exports: [ProxyService],
})
export class ProxyModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /**
   * File uploads (multipart/form-data) are not parsed: the request stream goes to Anthropic as it
   * arrives (see ProxyResourcesService.uploadFile). Elsewhere such a body is simply absent.
   */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (fastify && !fastify.hasContentTypeParser('multipart/form-data')) {
      fastify.addContentTypeParser('multipart/form-data', (_request, _payload, done) => done(null, undefined));
    }
  }
}
