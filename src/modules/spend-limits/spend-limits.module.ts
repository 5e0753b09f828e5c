import { Module } from '@nestjs/common';
import { AnalyticsModule } from '../analytics/analytics.module';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { RecordingModule } from '../recording/recording.module';
import { SessionsModule } from '../sessions/sessions.module';
import { SpendAdmissionService } from './spend-admission.service';
import { SpendAlertsService } from './spend-alerts.service';
import { SpendLimitsAdminController } from './spend-limits-admin.controller';
import { SpendLimitsController } from './spend-limits.controller';
import { SpendLimitsRepository } from './spend-limits.repository';
import { SpendLimitsService } from './spend-limits.service';
import { WebhookSecretCipher } from './webhook-secret-cipher';

@Module({
  imports: [AnalyticsModule, ApiKeysModule, OrganizationsModule, RecordingModule, SessionsModule],
  controllers: [SpendLimitsAdminController, SpendLimitsController],
  providers: [
    SpendLimitsRepository,
    SpendLimitsService,
    SpendAdmissionService,
    SpendAlertsService,
    WebhookSecretCipher,
  ],
  exports: [SpendAdmissionService],
})
export class SpendLimitsModule {}
