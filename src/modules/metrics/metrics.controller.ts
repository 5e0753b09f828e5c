import { Controller, Get, Header, Headers, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../../common/auth/decorators';
import { constantTimeEqual } from '../../common/crypto/keys';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { MetricsErrors } from './metrics.errors';
import { MetricsService } from './metrics.service';

/**
 * Prometheus text at /metrics: counts only, never tenant data. With METRICS_TOKEN set, scrapers
 * send it as a bearer token; without it the endpoint is open outside production and absent in it.
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Public()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('cache-control', 'no-store')
  render(@Headers('authorization') authorization?: string): Promise<string> {
    const token = this.config.metricsToken;
    if (token) {
      const presented = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? '';
      if (!constantTimeEqual(presented, token)) {
        throw MetricsErrors.badToken();
      }
    } else if (this.config.nodeEnv === 'production') {
      throw MetricsErrors.absent();
    }
    return this.metrics.render();
  }
}
