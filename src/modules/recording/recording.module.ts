import { Module } from '@nestjs/common';
import { InteractionWriter } from './interaction-writer.repository';
import { RecorderService } from './recorder.service';

@Module({
  providers: [InteractionWriter, RecorderService],
  exports: [RecorderService],
})
export class RecordingModule {}
