import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { ApiKey } from './api-key.entity';
import { ApiKeySecrets } from './api-key-secrets.service';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';

@Module({
  imports: [MikroOrmModule.forFeature([ApiKey])],
  controllers: [ApiKeysController],
  providers: [ApiKeysService, ApiKeySecrets],
  exports: [ApiKeysService],
})
export class ApiKeysModule {}
