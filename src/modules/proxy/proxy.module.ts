import { Module } from '@nestjs/common';
import { ProviderKeysModule } from '../provider-keys/provider-keys.module';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { RecordingModule } from '../recording/recording.module';
import { SessionsModule } from '../sessions/sessions.module';
import { ProxyController, ProxyModelsController, ProxyProbeController } from './proxy.controller';
import { ProxyLimiter } from './proxy-limits';
import { ProxyService } from './proxy.service';
import { UpstreamClient } from './upstream-client';

@Module({
  imports: [ProviderKeysModule, SessionsModule, RecordingModule, ApiKeysModule, OrganizationsModule],
  controllers: [ProxyController, ProxyModelsController, ProxyProbeController],
  providers: [ProxyService, UpstreamClient, ProxyLimiter],
  exports: [ProxyService],
})
export class ProxyModule {}
