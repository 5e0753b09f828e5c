import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentOrganization } from '../../common/auth/decorators';
import type { OrganizationContext } from '../../common/auth/principal';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import { Role } from '../organizations/membership.entity';
import { AnalyticsBreakdownsService } from './analytics-breakdowns.service';
import { AnalyticsService } from './analytics.service';
import {
  AnalyticsSessionDetailResponseDto,
  AnalyticsSessionListResponseDto,
  AnalyticsSessionQueryDto,
  CacheAnalyticsQueryDto,
  CacheAnalyticsResponseDto,
  ListAnalyticsSessionsQueryDto,
  TokenAnalyticsQueryDto,
  TokenAnalyticsResponseDto,
  UsageSummaryQueryDto,
  UsageSummaryResponseDto,
} from './dto/analytics.dto';
import { LatencyAnalyticsResponseDto, PrincipalUsageQueryDto, PrincipalUsageResponseDto } from './dto/breakdowns.dto';

/**
 * Usage analytics of the organization in the API's snake_case. Every member reads
 * them; API keys need the `read` scope. Served from the hourly rollups and session totals.
 */
@ApiTags('Analytics')
@Controller('spotlight/analytics')
export class AnalyticsController {
  constructor(
    private readonly analytics: AnalyticsService,
    private readonly breakdowns: AnalyticsBreakdownsService,
  ) {}

  @Get('tokens')
  @Authenticated({ organizationScoped: true })
  @Endpoint({
    operationId: 'getTokenAnalytics',
    summary: 'Token usage and cost by model over a range, optionally as an hourly or daily series',
    type: TokenAnalyticsResponseDto,
    errors: { 400: 'Invalid range, granularity or time zone' },
  })
  tokens(
    @CurrentOrganization() organization: OrganizationContext,
    @Query() query: TokenAnalyticsQueryDto,
  ): Promise<TokenAnalyticsResponseDto> {
    return this.analytics.tokens(organization.organizationId, query);
  }

  @Get('principals')
  @Authenticated({ organizationScoped: true, minimumRole: Role.Admin })
  @Endpoint({
    operationId: 'getPrincipalAnalytics',
    summary:
      'Calls, tokens and cost by API key or by member over a range, optionally as an hourly or daily series (owners and admins)',
    type: PrincipalUsageResponseDto,
    errors: { 400: 'Invalid dimension, range, granularity or time zone' },
  })
  principals(
    @CurrentOrganization() organization: OrganizationContext,
    @Query() query: PrincipalUsageQueryDto,
  ): Promise<PrincipalUsageResponseDto> {
    return this.breakdowns.byPrincipal(organization.organizationId, query);
  }

  @Get('latency')
  @Authenticated({ organizationScoped: true })
  @Endpoint({
    operationId: 'getLatencyAnalytics',
    summary: 'Latency and time to first token (p50, p95) over a range, optionally as an hourly or daily series',
    type: LatencyAnalyticsResponseDto,
    errors: { 400: 'Invalid range, granularity or time zone' },
  })
  latency(
    @CurrentOrganization() organization: OrganizationContext,
    @Query() query: TokenAnalyticsQueryDto,
  ): Promise<LatencyAnalyticsResponseDto> {
    return this.breakdowns.latency(organization.organizationId, query);
  }

  @Get('usage-summary')
  @Authenticated({ organizationScoped: true })
  @Endpoint({
    operationId: 'getUsageSummary',
    summary: 'Requests, tokens and cost today, this week and this month, with the change against the previous period',
    type: UsageSummaryResponseDto,
    errors: { 400: 'Not an IANA time zone, or one whose midnight is not on a whole UTC hour' },
  })
  usageSummary(
    @CurrentOrganization() organization: OrganizationContext,
    @Query() query: UsageSummaryQueryDto,
  ): Promise<UsageSummaryResponseDto> {
    return this.analytics.usageSummary(organization.organizationId, query);
  }

  @Get('cache')
  @Authenticated({ organizationScoped: true })
  @Endpoint({
    operationId: 'getCacheAnalytics',
    summary:
      'Prompt caching over a range or in one session: hit rate, dollars saved, writes never read within their TTL, 5m/1h mix',
    type: CacheAnalyticsResponseDto,
    errors: { 400: 'Invalid range (at most 32 days)', 404: 'No such session in this organization' },
  })
  cache(
    @CurrentOrganization() organization: OrganizationContext,
    @Query() query: CacheAnalyticsQueryDto,
  ): Promise<CacheAnalyticsResponseDto> {
    return this.analytics.cache(organization.organizationId, query);
  }

  @Get('sessions')
  @Authenticated({ organizationScoped: true })
  @Endpoint({
    operationId: 'listAnalyticsSessions',
    summary: 'Sessions with their usage totals, paged, sorted by start time, cost or tokens',
    type: AnalyticsSessionListResponseDto,
    errors: { 400: 'Invalid paging or sort' },
  })
  listSessions(
    @CurrentOrganization() organization: OrganizationContext,
    @Query() query: ListAnalyticsSessionsQueryDto,
  ): Promise<AnalyticsSessionListResponseDto> {
    return this.analytics.listSessions(organization.organizationId, query);
  }

  @Get('sessions/:sessionUuid')
  @ApiParam({
    name: 'sessionUuid',
    description: "The session's UUID or its external id",
    example: 'my-app-session-123',
  })
  @Authenticated({ organizationScoped: true })
  @Endpoint({
    operationId: 'getAnalyticsSession',
    summary: 'A session (by UUID or external id) with its totals and a page of its calls',
    type: AnalyticsSessionDetailResponseDto,
    errors: { 400: 'Invalid paging', 404: 'No such session in this organization' },
  })
  getSession(
    @CurrentOrganization() organization: OrganizationContext,
    @Param('sessionUuid') sessionUuid: string,
    @Query() query: AnalyticsSessionQueryDto,
  ): Promise<AnalyticsSessionDetailResponseDto> {
    return this.analytics.getSession(organization.organizationId, sessionUuid, query);
  }
}
