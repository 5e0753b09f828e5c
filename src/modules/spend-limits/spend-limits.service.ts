import { Inject, Injectable } from '@nestjs/common';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { OrganizationsService } from '../organizations/organizations.service';
import { InteractionsService } from '../recording/interactions.service';
import { SessionsService } from '../sessions/sessions.service';
import { randomUUID } from 'node:crypto';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { Clock } from '../../common/time/clock.service';
import { TimeZone } from '../analytics/time-zone';
import { Role } from '../organizations/membership.entity';
import { SpendAdmissionService } from './spend-admission.service';
import { SpendAlertsService } from './spend-alerts.service';
import { SpendLimitErrors } from './spend-limits.errors';
import { type SpendLimitRecord, SpendLimitsRepository, SpendScopeType, SpendUnit } from './spend-limits.repository';
import { periodWindow, SpendPeriod } from './spend-periods';
import { toWireSpendLimit, type WireSpendLimit } from './spend-limit-wire';
import type {
  CreateSpendLimitDto,
  SpendByScopeDto,
  SpendLimitDto,
  SpendReportDto,
  SpendSettingsDto,
  UpdateSpendLimitDto,
  UpdateSpendSettingsDto,
  WebhookDeliveryDto,
} from './dto/spend-limit.dto';
import type { SetSpendLimitDto } from './dto/spend-limit-admin.dto';
import { newWebhookSecret, webhookUrlProblem } from './webhook-security';

export interface NewLimit {
  scopeType: SpendScopeType;
  scopeId: string | null;
  period: SpendPeriod;
  unit: SpendUnit;
  /** micro-USD or tokens. */
  amount: number;
  alertThresholds: number[] | null;
}

const ROLE_RANK: Record<Role, number> = { [Role.Member]: 1, [Role.Admin]: 2, [Role.Owner]: 3 };

/** Whether the caller may change limits: an owner or admin, or a platform key with the write scope (only admins hold keys). */
function mayManage(organization: OrganizationContext, principal: Principal): boolean {
  if (principal.kind === 'apiKey') return true;
  return organization.role !== null && ROLE_RANK[organization.role] >= ROLE_RANK[Role.Admin];
}

/**
 * Spend limits and their settings, managed by owners and admins; members read the limits that
 * apply to them (the organization's and their own). Every change drops the cached limits on every
 * instance (the change is announced in its transaction; this instance forgets at once).
 */
@Injectable()
export class SpendLimitsService {
  constructor(
    private readonly repository: SpendLimitsRepository,
    private readonly admission: SpendAdmissionService,
    private readonly alerts: SpendAlertsService,
    private readonly interactions: InteractionsService,
    private readonly sessions: SessionsService,
    private readonly apiKeys: ApiKeysService,
    private readonly organizations: OrganizationsService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Whether the member, API key or session a limit names is this organization's (asked of the modules that own them). */
  private async scopeExists(organizationId: string, scopeType: SpendScopeType, scopeId: string): Promise<boolean> {
    switch (scopeType) {
      case SpendScopeType.Organization:
        return true;
      case SpendScopeType.User:
        return this.organizations.isMember(organizationId, scopeId);
      case SpendScopeType.ApiKey:
        return this.apiKeys.isLive(organizationId, scopeId);
      case SpendScopeType.Session: {
        const session = await this.sessions.findVisible(organizationId, scopeId);
        return session !== null && session.id === scopeId.toLowerCase();
      }
    }
  }

  requireManager(organization: OrganizationContext, principal: Principal): void {
    if (!mayManage(organization, principal)) throw SpendLimitErrors.roleRequired();
  }

  /** The limits the caller may read. */
  async visible(organization: OrganizationContext, principal: Principal): Promise<SpendLimitRecord[]> {
    const all = await this.repository.listLimits(organization.organizationId);
    if (mayManage(organization, principal)) return all;
    return all.filter(
      (l) =>
        l.scopeType === SpendScopeType.Organization ||
        (l.scopeType === SpendScopeType.User && l.scopeId === principal.userId),
    );
  }

  async get(organization: OrganizationContext, principal: Principal, id: string): Promise<SpendLimitRecord> {
    const limit = (await this.visible(organization, principal)).find((l) => l.id === id);
    if (!limit) throw SpendLimitErrors.notFound();
    return limit;
  }

  /** POST /v1/organizations/spend_limits: upsert keyed on scope and period (and unit). */
  async setFromWire(
    organization: OrganizationContext,
    principal: Principal,
    dto: SetSpendLimitDto,
  ): Promise<{ limit: WireSpendLimit; created: boolean }> {
    const unit = dto.unit ?? SpendUnit.Usd;
    const ids = {
      [SpendScopeType.User]: dto.scope.user_id,
      [SpendScopeType.ApiKey]: dto.scope.api_key_id,
      [SpendScopeType.Session]: dto.scope.session_id,
    };
    const given = Object.entries(ids).filter(([, v]) => v !== undefined);
    if (given.some(([type]) => type !== String(dto.scope.type)))
      throw SpendLimitErrors.invalid(`scope of type ${dto.scope.type} takes no other scope's id`);
    const scopeId = dto.scope.type === SpendScopeType.Organization ? null : (ids[dto.scope.type] ?? null);
    const amount = unit === SpendUnit.Usd ? Number(dto.amount) * 10_000 : Number(dto.amount);
    const { limit, created } = await this.set(organization, principal, {
      scopeType: dto.scope.type,
      scopeId,
      period: dto.period,
      unit,
      amount,
      alertThresholds: dto.alert_thresholds ?? null,
    });
    return { limit: toWireSpendLimit(limit), created };
  }

  async create(
    organization: OrganizationContext,
    principal: Principal,
    dto: CreateSpendLimitDto,
  ): Promise<SpendLimitDto> {
    const unit = dto.unit ?? SpendUnit.Usd;
    if (unit === SpendUnit.Tokens && !Number.isInteger(dto.amount))
      throw SpendLimitErrors.invalid('a token amount must be a whole number');
    const { limit } = await this.set(organization, principal, {
      scopeType: dto.scopeType,
      scopeId: dto.scopeType === SpendScopeType.Organization ? null : (dto.scopeId ?? null),
      period: dto.period,
      unit,
      amount: unit === SpendUnit.Usd ? Math.round(dto.amount * 1_000_000) : dto.amount,
      alertThresholds: dto.alertThresholds ?? null,
    });
    return (await this.withUsage(organization.organizationId, [limit]))[0];
  }

  async update(
    organization: OrganizationContext,
    principal: Principal,
    id: string,
    dto: UpdateSpendLimitDto,
  ): Promise<SpendLimitDto> {
    this.requireManager(organization, principal);
    const existing = await this.repository.findLimit(organization.organizationId, id);
    if (!existing) throw SpendLimitErrors.notFound();
    let amount: number | undefined;
    if (dto.amount !== undefined) {
      if (existing.unit === SpendUnit.Tokens && !Number.isInteger(dto.amount))
        throw SpendLimitErrors.invalid('a token amount must be a whole number');
      amount = existing.unit === SpendUnit.Usd ? Math.round(dto.amount * 1_000_000) : dto.amount;
    }
    const limit = await this.repository.updateLimit(
      organization.organizationId,
      id,
      { amount, alertThresholds: dto.alertThresholds },
      this.clock.now(),
    );
    if (!limit) throw SpendLimitErrors.notFound();
    this.admission.forget(organization.organizationId);
    return (await this.withUsage(organization.organizationId, [limit]))[0];
  }

  async remove(organization: OrganizationContext, principal: Principal, id: string): Promise<void> {
    this.requireManager(organization, principal);
    if (!(await this.repository.deleteLimit(organization.organizationId, id))) throw SpendLimitErrors.notFound();
    this.admission.forget(organization.organizationId);
  }

  /** Limits beside where each stands in its current period. */
  async withUsage(organizationId: string, limits: SpendLimitRecord[]): Promise<SpendLimitDto[]> {
    const settings = await this.repository.settings(organizationId);
    const zone = TimeZone.of(settings.timeZone) ?? TimeZone.UTC;
    const now = this.clock.now();
    const windows = limits.map((l) => periodWindow(l.period, now, zone));
    const counters = await this.repository.counters(
      organizationId,
      limits.map((l) => l.id),
      windows.map((w) => w.start),
    );
    return limits.map((limit, i) => {
      const w = windows[i];
      const c = counters.get(`${limit.id}@${w.start.getTime()}`) ?? { spent: 0, reserved: 0 };
      const scale = limit.unit === SpendUnit.Usd ? 1_000_000 : 1;
      return {
        id: limit.id,
        scopeType: limit.scopeType,
        scopeId: limit.scopeId,
        period: limit.period,
        unit: limit.unit,
        amount: limit.amount / scale,
        alertThresholds: limit.alertThresholds,
        createdAt: limit.createdAt.toISOString(),
        updatedAt: limit.updatedAt.toISOString(),
        usage: {
          periodStart: w.start.toISOString(),
          periodEnd: w.end?.toISOString() ?? null,
          spent: c.spent / scale,
          reserved: c.reserved / scale,
          remaining: Math.max(0, limit.amount - c.spent - c.reserved) / scale,
          utilization: limit.amount === 0 ? 1 : Math.min(1, (c.spent + c.reserved) / limit.amount),
        },
      };
    });
  }

  /**
   * Spend per API key and per member in a period (the current one, or `offset` back), each beside
   * the limit on it for that period. Members see only their own.
   */
  async report(
    organization: OrganizationContext,
    principal: Principal,
    period: SpendPeriod,
    offset: number,
  ): Promise<SpendReportDto> {
    const organizationId = organization.organizationId;
    const settings = await this.repository.settings(organizationId);
    const zone = TimeZone.of(settings.timeZone) ?? TimeZone.UTC;
    let window = periodWindow(period, this.clock.now(), zone);
    for (let i = 0; i < offset; i++) window = periodWindow(period, new Date(window.start.getTime() - 1), zone);
    const end = window.end ?? this.clock.now();
    const rows = await this.interactions.spendByKeyAndMember(organizationId, window.start, end);
    const manager = mayManage(organization, principal);
    const limits = (await this.repository.listLimits(organizationId)).filter((l) => l.period === period);
    const current = offset === 0 ? await this.withUsage(organizationId, limits) : [];
    const limitOn = (scopeType: SpendScopeType, id: string | null) =>
      current.find((l) => l.scopeType === scopeType && l.scopeId === id) ?? null;
    const group = (key: 'apiKeyId' | 'userId', scopeType: SpendScopeType): SpendByScopeDto[] => {
      const totals = new Map<string | null, { nano: number; calls: number; unpriced: number }>();
      for (const row of rows) {
        const id = row[key];
        const t = totals.get(id) ?? { nano: 0, calls: 0, unpriced: 0 };
        totals.set(id, { nano: t.nano + row.nanoUsd, calls: t.calls + row.calls, unpriced: t.unpriced + row.unpriced });
      }
      return [...totals.entries()]
        .filter(([id]) => manager || (scopeType === SpendScopeType.User && id === principal.userId))
        .map(([id, t]) => ({
          id,
          spentUsd: t.nano / 1e9,
          calls: t.calls,
          unpricedCalls: t.unpriced,
          limit: limitOn(scopeType, id),
        }))
        .sort((a, b) => b.spentUsd - a.spentUsd);
    };
    return {
      period,
      timeZone: zone.name,
      periodStart: window.start.toISOString(),
      periodEnd: end.toISOString(),
      apiKeys: manager ? group('apiKeyId', SpendScopeType.ApiKey) : [],
      members: group('userId', SpendScopeType.User),
    };
  }

  async settings(organization: OrganizationContext): Promise<SpendSettingsDto> {
    const s = await this.repository.settings(organization.organizationId);
    return {
      timeZone: s.timeZone,
      failureMode: s.failureMode,
      failOpenAmountUsd: s.failOpenAmount / 1_000_000,
      alertThresholds: s.alertThresholds,
      webhookUrl: s.webhookUrl,
      webhookSecretSet: s.webhookSecretSet,
    };
  }

  async updateSettings(
    organization: OrganizationContext,
    principal: Principal,
    dto: UpdateSpendSettingsDto,
  ): Promise<SpendSettingsDto> {
    this.requireManager(organization, principal);
    const current = await this.repository.settings(organization.organizationId);
    let timeZone = current.timeZone;
    if (dto.timeZone !== undefined) {
      const zone = TimeZone.of(dto.timeZone);
      if (!zone) throw SpendLimitErrors.invalidTimeZone();
      timeZone = zone.name;
    }
    let webhookUrl = current.webhookUrl;
    if (dto.webhookUrl !== undefined) {
      if (dto.webhookUrl !== null) {
        const problem = await webhookUrlProblem(dto.webhookUrl, {
          allowPrivate: this.config.spendWebhooks.allowPrivate,
        });
        if (problem) throw SpendLimitErrors.webhookRefused(problem);
      }
      webhookUrl = dto.webhookUrl;
    }
    await this.repository.saveSettings(
      organization.organizationId,
      {
        timeZone,
        failureMode: dto.failureMode ?? current.failureMode,
        failOpenAmount:
          dto.failOpenAmountUsd !== undefined ? Math.round(dto.failOpenAmountUsd * 1_000_000) : current.failOpenAmount,
        alertThresholds: dto.alertThresholds ?? current.alertThresholds,
        webhookUrl,
      },
      this.clock.now(),
    );
    this.admission.forget(organization.organizationId);
    return this.settings(organization);
  }

  /** A new signing secret, returned this once; the previous one stops being used. */
  async rotateWebhookSecret(organization: OrganizationContext, principal: Principal): Promise<{ secret: string }> {
    this.requireManager(organization, principal);
    const secret = newWebhookSecret();
    await this.alerts.storeSecret(organization.organizationId, secret);
    return { secret };
  }

  async deliveries(
    organization: OrganizationContext,
    principal: Principal,
    limit: number,
  ): Promise<WebhookDeliveryDto[]> {
    this.requireManager(organization, principal);
    return (await this.repository.listDeliveries(organization.organizationId, limit)).map((d) => ({
      ...d,
      createdAt: d.createdAt.toISOString(),
      updatedAt: d.updatedAt.toISOString(),
      deliveredAt: d.deliveredAt?.toISOString() ?? null,
    }));
  }

  private async set(
    organization: OrganizationContext,
    principal: Principal,
    limit: NewLimit,
  ): Promise<{ limit: SpendLimitRecord; created: boolean }> {
    this.requireManager(organization, principal);
    const isSession = limit.scopeType === SpendScopeType.Session;
    if (isSession !== (limit.period === SpendPeriod.Session)) {
      throw SpendLimitErrors.invalid('period session goes with scope session, and only with it');
    }
    if (limit.unit === SpendUnit.Tokens && !isSession)
      throw SpendLimitErrors.invalid('token limits apply to sessions only; other scopes are limited in USD');
    if (limit.scopeType !== SpendScopeType.Organization) {
      if (limit.scopeId === null)
        throw SpendLimitErrors.invalid(`scope ${limit.scopeType} needs the id of its ${limit.scopeType}`);
      if (!(await this.scopeExists(organization.organizationId, limit.scopeType, limit.scopeId))) {
        throw SpendLimitErrors.scopeNotFound(
          { user: 'Member', api_key: 'API key', session: 'Session' }[limit.scopeType],
        );
      }
    }
    const result = await this.repository.upsertLimit(
      organization.organizationId,
      { id: randomUUID(), ...limit },
      this.clock.now(),
    );
    this.admission.forget(organization.organizationId);
    return result;
  }
}
