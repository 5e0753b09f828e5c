import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { Session } from './session.entity';
import { SessionHistoryService } from './session-history.service';
import { SessionInteractionsRepository } from './session-interactions.repository';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';

@Module({
  imports: [MikroOrmModule.forFeature([Session])],
  controllers: [SessionsController],
  providers: [SessionsService, SessionHistoryService, SessionInteractionsRepository],
  exports: [SessionsService, SessionHistoryService],
})
export class SessionsModule {}
