import { Module } from '@nestjs/common';
import { RecordingModule } from '../recording/recording.module';
import { SessionsModule } from '../sessions/sessions.module';
import { AnalyticsBreakdownsService } from './analytics-breakdowns.service';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsRepository } from './analytics.repository';
import { AnalyticsService } from './analytics.service';

@Module({
  imports: [SessionsModule, RecordingModule],
  controllers: [AnalyticsController],
  providers: [AnalyticsService, AnalyticsBreakdownsService, AnalyticsRepository],
  exports: [AnalyticsService],
})
export class AnalyticsModule {}
