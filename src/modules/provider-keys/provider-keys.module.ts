import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { AnthropicKeyVerifier } from './anthropic-key-verifier.service';
import { ProviderKey } from './provider-key.entity';
import { ProviderKeyCipher } from './provider-key-cipher.service';
import { ProviderKeysController } from './provider-keys.controller';
import { ProviderKeysService } from './provider-keys.service';

@Module({
  imports: [MikroOrmModule.forFeature([ProviderKey])],
  controllers: [ProviderKeysController],
  providers: [ProviderKeysService, ProviderKeyCipher, AnthropicKeyVerifier],
  exports: [ProviderKeysService],
})
export class ProviderKeysModule {}
