import { Global, Module } from '@nestjs/common';
import { ShutdownState } from './lifecycle/shutdown-state.service';
import { Clock } from './time/clock.service';

/** Process-wide seams every module may inject: the clock and the shutdown state. */
@Global()
@Module({
  providers: [Clock, ShutdownState],
  exports: [Clock, ShutdownState],
})
export class CommonModule {}
