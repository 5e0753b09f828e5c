import { Module } from '@nestjs/common';
import { ProxyModule } from '../proxy/proxy.module';
import { RecordingModule } from '../recording/recording.module';
import { SessionsModule } from '../sessions/sessions.module';
import { TasksController } from './tasks.controller';
import { TasksService } from './tasks.service';

@Module({
  imports: [ProxyModule, SessionsModule, RecordingModule],
  controllers: [TasksController],
  providers: [TasksService],
})
export class TasksModule {}
