import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsRepository } from './analytics.repository';
import { AnalyticsService } from './analytics.service';
import { Clock } from './clock';

@Module({
  imports: [SessionsModule],
  controllers: [AnalyticsController],
  providers: [AnalyticsService, AnalyticsRepository, Clock],
  exports: [AnalyticsService, Clock],
})
export class AnalyticsModule {}
