import { Module } from '@nestjs/common';
import { InteractionWriter } from './interaction-writer.repository';
import { InteractionRepository } from './interaction.repository';
import { InteractionsService } from './interactions.service';
import { RecorderService } from './recorder.service';

@Module({
  providers: [InteractionWriter, RecorderService, InteractionRepository, InteractionsService],
  exports: [RecorderService, InteractionsService],
})
export class RecordingModule {}
