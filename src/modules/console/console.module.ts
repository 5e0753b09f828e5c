import { Module } from '@nestjs/common';
import { ConsoleController } from './console.controller';
import { ConsoleAssets } from './console-assets';

/** The browser console at `/`: built by `npm run build` into dist/console, served from memory. */
@Module({
  controllers: [ConsoleController],
  providers: [{ provide: ConsoleAssets, useFactory: () => new ConsoleAssets() }],
})
export class ConsoleModule {}
