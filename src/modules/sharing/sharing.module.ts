import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { AnalyticsModule } from '../analytics/analytics.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { RecordingModule } from '../recording/recording.module';
import { SessionsModule } from '../sessions/sessions.module';
import { ShareLink } from './share-link.entity';
import { SharePageController } from './share-page.controller';
import { SharedLinkThrottlerGuard } from './shared-link-throttler.guard';
import { ShareTokenVault } from './share-token-vault.service';
import { ShareTokens } from './share-tokens.service';
import { SharingController } from './sharing.controller';
import { SharingService } from './sharing.service';

@Module({
  imports: [
    MikroOrmModule.forFeature([ShareLink]),
    SessionsModule,
    AnalyticsModule,
    RecordingModule,
    OrganizationsModule,
  ],
  controllers: [SharingController, SharePageController],
  providers: [SharingService, ShareTokens, ShareTokenVault, SharedLinkThrottlerGuard],
})
export class SharingModule {}
