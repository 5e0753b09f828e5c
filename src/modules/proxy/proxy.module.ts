import { Module } from '@nestjs/common';
import { ProviderKeysModule } from '../provider-keys/provider-keys.module';
import { RecordingModule } from '../recording/recording.module';
import { SessionsModule } from '../sessions/sessions.module';
import { ProxyController } from './proxy.controller';
import { ProxyService } from './proxy.service';
import { UpstreamClient } from './upstream-client';

@Module({
  imports: [ProviderKeysModule, SessionsModule, RecordingModule],
  controllers: [ProxyController],
  providers: [ProxyService, UpstreamClient],
  exports: [ProxyService],
})
export class ProxyModule {}
