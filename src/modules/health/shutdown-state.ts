import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';

/** Set once shutdown begins, so readiness fails and load balancers stop sending traffic. */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  draining = false;

  beforeApplicationShutdown(): void {
    this.draining = true;
  }
}
