import { Module } from '@nestjs/common';
import { OrganizationsModule } from '../organizations/organizations.module';
import { RetentionExportController } from './retention-export.controller';
import { RetentionController } from './retention.controller';
import { RetentionPass } from './retention-pass';
import { RetentionRepository } from './retention.repository';
import { RetentionService } from './retention.service';

@Module({
  imports: [OrganizationsModule],
  controllers: [RetentionController, RetentionExportController],
  providers: [RetentionRepository, RetentionPass, RetentionService],
  exports: [RetentionService],
})
export class RetentionModule {}
