import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentOrganization } from '../../common/auth/decorators';
import type { OrganizationContext } from '../../common/auth/principal';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import { Role } from '../organizations/membership.entity';
import { PricingResponseDto, RepriceRequestDto, RepriceResponseDto } from './dto/pricing.dto';
import { PricingService } from './pricing.service';

/** The pricing table every cost comes from, and repricing stored calls when it changes (docs/cost.md). */
@ApiTags('Pricing')
@Controller()
export class PricingController {
  constructor(private readonly pricingService: PricingService) {}

  @Get('spotlight/analytics/pricing')
  @Authenticated({ organizationScoped: true })
  @Endpoint({
    operationId: 'getPricing',
    summary: 'The pricing table in use: version, date, per-model rates, tiers, tool fees and multipliers',
    type: PricingResponseDto,
  })
  pricing(): PricingResponseDto {
    return this.pricingService.pricing();
  }

  @Post('api/v1/pricing/reprice')
  @Authenticated({ organizationScoped: true, usersOnly: true, minimumRole: Role.Admin })
  @Endpoint({
    operationId: 'repriceInteractions',
    summary: "Recompute the organization's stored costs in a time range under the current pricing table; idempotent",
    type: RepriceResponseDto,
    errors: { 400: 'Invalid times, or since not before until' },
  })
  reprice(
    @CurrentOrganization() organization: OrganizationContext,
    @Body() body: RepriceRequestDto,
  ): Promise<RepriceResponseDto> {
    return this.pricingService.reprice(organization.organizationId, body);
  }
}
