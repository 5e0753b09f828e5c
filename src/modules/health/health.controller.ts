import { EntityManager } from '@mikro-orm/postgresql';
import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import type { FastifyReply } from 'fastify';
import { Public } from '../../common/auth/decorators';
import { HealthResponseDto } from './health.dto';
import { ShutdownState } from '../../common/lifecycle/shutdown-state.service';

@ApiTags('Health')
@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly em: EntityManager,
    private readonly shutdown: ShutdownState,
  ) {}

  @Get()
  @Endpoint({ operationId: 'getLiveness', summary: 'Liveness: the process is up', type: HealthResponseDto })
  live(): HealthResponseDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @Endpoint({
    operationId: 'getReadiness',
    summary: 'Readiness: the database answers and the instance is not draining',
    type: HealthResponseDto,
  })
  @ApiServiceUnavailableResponse({ description: 'Not ready', type: HealthResponseDto })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthResponseDto> {
    const database = await this.em
      .getConnection()
      .execute('select 1')
      .then(() => 'ok' as const)
      .catch(() => 'unavailable' as const);
    const accepting = this.shutdown.draining ? ('unavailable' as const) : ('ok' as const);
    const ok = database === 'ok' && accepting === 'ok';
    reply.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    if (!ok) reply.header('retry-after', '1');
    return { status: ok ? 'ok' : 'unavailable', checks: { database, accepting } };
  }
}
