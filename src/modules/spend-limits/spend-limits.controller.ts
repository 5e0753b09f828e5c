import { Body, Controller, Delete, Get, HttpStatus, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentOrganization, CurrentPrincipal } from '../../common/auth/decorators';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import { Role } from '../organizations/membership.entity';
import {
  CreateSpendLimitDto,
  SpendLimitDto,
  SpendLimitListDto,
  SpendReportDto,
  SpendReportQueryDto,
  SpendSettingsDto,
  UpdateSpendLimitDto,
  UpdateSpendSettingsDto,
  WebhookDeliveryListDto,
  WebhookSecretDto,
} from './dto/spend-limit.dto';
import { SpendLimitsService } from './spend-limits.service';
import { SpendPeriod } from './spend-periods';

const ID = ApiParam({ name: 'id', description: "The limit's id", format: 'uuid' });
const MANAGERS = 'Only owners and admins';

/**
 * Spend limits for the console: each limit beside where it stands in its current period,
 * organization settings (time zone, behaviour when the counters cannot be reached, alert
 * thresholds, webhook), and the webhook delivery log. Owners and admins change them; members read
 * the organization's limits and their own.
 */
@ApiTags('Spend limits')
@Controller('api/v1/spend-limits')
export class SpendLimitsController {
  constructor(private readonly spendLimits: SpendLimitsService) {}

  @Get()
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @Endpoint({
    operationId: 'listSpendLimits',
    summary: 'Spend limits with their current spend, reserved amount and remaining',
    type: SpendLimitListDto,
  })
  async list(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
  ): Promise<SpendLimitListDto> {
    const limits = await this.spendLimits.visible(organization, principal);
    return { object: 'list', data: await this.spendLimits.withUsage(organization.organizationId, limits) };
  }

  @Post()
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @Endpoint({
    operationId: 'createSpendLimit',
    summary: 'Set a spend limit (replaces the amount of an existing one with the same scope, period and unit)',
    status: HttpStatus.CREATED,
    type: SpendLimitDto,
    errors: { 400: 'Invalid fields', 404: 'The member, API key or session is not in this organization' },
  })
  create(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateSpendLimitDto,
  ): Promise<SpendLimitDto> {
    return this.spendLimits.create(organization, principal, dto);
  }

  @Get('spend')
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @Endpoint({
    operationId: 'getSpendReport',
    summary: 'Spend per API key and per member in a day, week or month, each beside its limit (members: their own)',
    type: SpendReportDto,
    errors: { 400: 'Invalid period or offset' },
  })
  report(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
    @Query() query: SpendReportQueryDto,
  ): Promise<SpendReportDto> {
    return this.spendLimits.report(organization, principal, query.period ?? SpendPeriod.Monthly, query.offset ?? 0);
  }

  @Get('settings')
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @Endpoint({
    operationId: 'getSpendSettings',
    summary: "The organization's spend-limit settings",
    type: SpendSettingsDto,
  })
  settings(@CurrentOrganization() organization: OrganizationContext): Promise<SpendSettingsDto> {
    return this.spendLimits.settings(organization);
  }

  @Patch('settings')
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @Endpoint({
    operationId: 'updateSpendSettings',
    summary: 'Change the time zone, failure mode, alert thresholds or webhook URL',
    type: SpendSettingsDto,
    errors: {
      400: 'Invalid fields, an unknown time zone, or a webhook URL that is refused (private, loopback, link-local)',
    },
  })
  updateSettings(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
    @Body() dto: UpdateSpendSettingsDto,
  ): Promise<SpendSettingsDto> {
    return this.spendLimits.updateSettings(organization, principal, dto);
  }

  @Post('settings/webhook-secret')
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @Endpoint({
    operationId: 'rotateSpendWebhookSecret',
    summary: 'Make a new webhook signing secret; it is shown only in this response',
    status: HttpStatus.CREATED,
    type: WebhookSecretDto,
  })
  rotateSecret(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
  ): Promise<WebhookSecretDto> {
    return this.spendLimits.rotateWebhookSecret(organization, principal);
  }

  @Get('webhook-deliveries')
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @Endpoint({
    operationId: 'listSpendWebhookDeliveries',
    summary: `The latest 100 alert webhook deliveries (${MANAGERS.toLowerCase()})`,
    type: WebhookDeliveryListDto,
  })
  async deliveries(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
  ): Promise<WebhookDeliveryListDto> {
    return { object: 'list', data: await this.spendLimits.deliveries(organization, principal, 100) };
  }

  @Patch(':id')
  @ID
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @Endpoint({
    operationId: 'updateSpendLimit',
    summary: "Change a limit's amount or alert thresholds",
    type: SpendLimitDto,
    errors: { 400: 'Invalid fields', 404: 'No such limit' },
  })
  update(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateSpendLimitDto,
  ): Promise<SpendLimitDto> {
    return this.spendLimits.update(organization, principal, id, dto);
  }

  @Delete(':id')
  @ID
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @Endpoint({
    operationId: 'deleteSpendLimit',
    summary: 'Delete a limit and its counters',
    status: HttpStatus.NO_CONTENT,
    errors: { 400: 'The id is not a UUID', 404: 'No such limit' },
  })
  async remove(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<void> {
    await this.spendLimits.remove(organization, principal, id);
  }
}
