import { Body, Controller, Delete, Get, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiHeader, ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentOrganization, CurrentPrincipal } from '../../common/auth/decorators';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import { RouteBehaviour } from '../../common/http/route-behaviour';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import { Role } from '../organizations/membership.entity';
import {
  DeletedSpendLimitDto,
  ListSpendLimitsQueryDto,
  SetSpendLimitDto,
  SpendLimitWireDto,
  SpendLimitWireListDto,
} from './dto/spend-limit-admin.dto';
import { SpendLimitErrors } from './spend-limits.errors';
import { SpendLimitsService } from './spend-limits.service';
import { fromWireId, toWireId, toWireSpendLimit } from './spend-limit-wire';

const ID_PARAM = ApiParam({
  name: 'spendLimitId',
  description: 'The limit id (spl_…)',
  example: 'spl_2f1c3a9e-8a4e-4f53-9a57-0d2f6f0b9c11',
});
const KEY_HEADER = ApiHeader({
  name: 'x-api-key',
  required: false,
  description: 'A platform key (lmp_…) of this organization, as an Admin API client sends its key',
});

/**
 * Spend limits in the wire shape of Anthropic's Admin API (`/v1/organizations/spend_limits`,
 * `{scope, amount, period}`), so a client written for that contract works by changing its base
 * URL and key. Authenticated by a platform key (x-api-key; write scope to change limits) or a
 * signed-in owner's or admin's token; members read the organization's limits and their own.
 * Errors are problem+json, like every non-proxy route.
 */
@ApiTags('Spend limits')
@RouteBehaviour({ platformKeyInXApiKey: true })
@Controller('v1/organizations/spend_limits')
export class SpendLimitsAdminController {
  constructor(private readonly spendLimits: SpendLimitsService) {}

  @Get()
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @KEY_HEADER
  @Endpoint({
    operationId: 'listSpendLimitsAdmin',
    summary: 'List spend limits (Admin API shape)',
    type: SpendLimitWireListDto,
    errors: { 400: 'Invalid paging' },
  })
  async list(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListSpendLimitsQueryDto,
  ): Promise<SpendLimitWireListDto> {
    const all = await this.spendLimits.visible(organization, principal);
    const offset = query.page === undefined ? 0 : Number(query.page);
    const size = query.limit ?? 20;
    const page = all.slice(offset, offset + size);
    const hasMore = offset + size < all.length;
    return { data: page.map(toWireSpendLimit), has_more: hasMore, next_page: hasMore ? String(offset + size) : null };
  }

  @Post()
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @KEY_HEADER
  @Endpoint({
    operationId: 'setSpendLimitAdmin',
    summary: 'Set a spend limit: creates it, or replaces the amount of the one with the same scope and period',
    status: HttpStatus.OK,
    type: SpendLimitWireDto,
    errors: {
      400: 'Invalid fields',
      403: 'Only owners and admins (or a key with the write scope) set limits',
      404: 'The member, API key or session is not in this organization',
    },
  })
  async set(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
    @Body() dto: SetSpendLimitDto,
  ): Promise<SpendLimitWireDto> {
    return (await this.spendLimits.setFromWire(organization, principal, dto)).limit;
  }

  @Get(':spendLimitId')
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @KEY_HEADER
  @ID_PARAM
  @Endpoint({
    operationId: 'getSpendLimitAdmin',
    summary: 'Get a spend limit (Admin API shape)',
    type: SpendLimitWireDto,
    errors: { 404: 'No such limit visible to the caller' },
  })
  async get(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
    @Param('spendLimitId') wireId: string,
  ): Promise<SpendLimitWireDto> {
    const id = fromWireId(wireId);
    if (!id) throw SpendLimitErrors.notFound();
    return toWireSpendLimit(await this.spendLimits.get(organization, principal, id));
  }

  @Delete(':spendLimitId')
  @Authenticated({ organizationScoped: true, minimumRole: Role.Member })
  @KEY_HEADER
  @ID_PARAM
  @Endpoint({
    operationId: 'deleteSpendLimitAdmin',
    summary: 'Delete a spend limit and its counters',
    type: DeletedSpendLimitDto,
    errors: { 403: 'Only owners and admins (or a key with the write scope) delete limits', 404: 'No such limit' },
  })
  async remove(
    @CurrentOrganization() organization: OrganizationContext,
    @CurrentPrincipal() principal: Principal,
    @Param('spendLimitId') wireId: string,
  ): Promise<DeletedSpendLimitDto> {
    const id = fromWireId(wireId);
    this.spendLimits.requireManager(organization, principal);
    if (!id) throw SpendLimitErrors.notFound();
    await this.spendLimits.remove(organization, principal, id);
    return { type: 'spend_limit_deleted', id: toWireId(id) };
  }
}
