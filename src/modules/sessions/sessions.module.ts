import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { OrganizationsModule } from '../organizations/organizations.module';
import { RecordingModule } from '../recording/recording.module';
import { LiveSessionRepository } from './live-session.repository';
import { Session } from './session.entity';
import { SessionHistoryService } from './session-history.service';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';

@Module({
  imports: [MikroOrmModule.forFeature([Session]), OrganizationsModule, RecordingModule],
  controllers: [SessionsController],
  providers: [SessionsService, SessionHistoryService, LiveSessionRepository],
  exports: [SessionsService, SessionHistoryService],
})
export class SessionsModule {}
