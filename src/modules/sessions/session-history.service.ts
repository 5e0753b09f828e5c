import { Injectable, StreamableFile } from '@nestjs/common';
import { Readable } from 'node:stream';
import type { OrganizationContext } from '../../common/auth/principal';
import type {
  ExportFormat,
  SessionEventsQueryDto,
  SessionEventsResponseDto,
  SessionHistoryQueryDto,
  SessionHistoryResponseDto,
  SessionInteractionDto,
} from './dto/session-history.dto';
import { toTurn, totalTokens } from './session-events';
import { csvHeader, csvRow, jsonlRow } from './session-export';
import { type EarlierTurn, type InteractionView, InteractionsService } from '../recording/interactions.service';
import type { SessionAgentDto, SessionDetailResponseDto } from './dto/session.dto';
import { SessionsService, toSessionResponse } from './sessions.service';

const HISTORY_PAGE_SIZE = 1000;
const EVENTS_PAGE_SIZE = 10;
/** Interactions read per query while exporting: small, as each may carry its content (up to CONTENT_MAX_BYTES). */
const EXPORT_BATCH_SIZE = 100;

/** What a session did: its interactions as history, as turns of events, and as an export. */
@Injectable()
export class SessionHistoryService {
  constructor(
    private readonly sessions: SessionsService,
    private readonly interactions: InteractionsService,
  ) {}

  /** A session with its agents (calls, tokens and cost of each; the tree through parentAgentId). */
  async detail(organization: OrganizationContext, idOrExternalId: string): Promise<SessionDetailResponseDto> {
    const session = await this.sessions.getVisible(organization.organizationId, idOrExternalId);
    return { ...toSessionResponse(session), agents: await this.agents(organization.organizationId, session.id) };
  }

  /** A session's agents, oldest first: each one's calls, tokens and cost; the tree through parentAgentId. */
  async agents(organizationId: string, sessionId: string): Promise<SessionAgentDto[]> {
    const agents = await this.interactions.agentsOfSession(organizationId, sessionId);
    return agents.map((agent) => ({
      ...agent,
      costUsd: agent.costNanoUsd / 1e9,
      firstCallAt: agent.firstCallAt.toISOString(),
      lastCallAt: agent.lastCallAt.toISOString(),
    }));
  }

  async history(
    organization: OrganizationContext,
    idOrExternalId: string,
    query: SessionHistoryQueryDto,
  ): Promise<SessionHistoryResponseDto> {
    const session = await this.sessions.getVisible(organization.organizationId, idOrExternalId);
    const [rows, totalCount] = await Promise.all([
      this.interactions.pageOfSession(organization.organizationId, session.id, {
        limit: query.limit ?? HISTORY_PAGE_SIZE,
        offset: query.offset ?? 0,
        withContent: false,
      }),
      this.interactions.countOfSession(organization.organizationId, session.id),
    ]);
    return {
      object: 'list',
      sessionId: session.id,
      externalId: session.externalId,
      totalCount,
      data: rows.map((row) => toInteractionResponse(row)),
    };
  }

  /** The events shape; turn numbers are global (offset + index + 1). */
  async events(
    organization: OrganizationContext,
    idOrExternalId: string,
    query: SessionEventsQueryDto,
  ): Promise<SessionEventsResponseDto> {
    const session = await this.sessions.getVisible(organization.organizationId, idOrExternalId);
    const offset = query.offset ?? 0;
    const rows = await this.interactions.pageOfSession(organization.organizationId, session.id, {
      limit: query.limit ?? EVENTS_PAGE_SIZE,
      offset,
      withContent: true,
    });
    const turns = rows.map((row, index) => toTurn(row, offset + index + 1));
    return { session_id: idOrExternalId, count: turns.length, turns };
  }

  /**
   * Every interaction of the session, streamed as it is read from the database, a batch at a
   * time (keyset paging), so a session of any size is never held in memory.
   */
  async export(
    organization: OrganizationContext,
    idOrExternalId: string,
    format: ExportFormat,
  ): Promise<StreamableFile> {
    const session = await this.sessions.getVisible(organization.organizationId, idOrExternalId);
    const batches = this.batches(organization.organizationId, session.id, format === 'jsonl');
    const lines = format === 'csv' ? csvLines(batches) : jsonlLines(batches);
    return new StreamableFile(Readable.from(lines, { objectMode: false }), {
      type: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      disposition: `attachment; filename="session-${session.id}.${format}"`,
    });
  }

  /** The session's earlier completed turns (query and answer), oldest first, as context for a task. */
  earlierTurns(organizationId: string, sessionId: string, max: number): Promise<EarlierTurn[]> {
    return this.interactions.earlierTurns(organizationId, sessionId, max);
  }

  /** One interaction (a task) of a live session of the organization, or null. */
  async findInteraction(
    organizationId: string,
    id: string,
  ): Promise<(InteractionView & { sessionExternalId: string }) | null> {
    const interaction = await this.interactions.find(organizationId, id);
    if (!interaction) return null;
    const session = await this.sessions.findVisible(organizationId, interaction.sessionId);
    if (!session || session.id !== interaction.sessionId) return null;
    return { ...interaction, sessionExternalId: session.externalId };
  }

  private async *batches(
    organizationId: string,
    sessionId: string,
    withContent: boolean,
  ): AsyncGenerator<InteractionView[]> {
    let after: { startedAtKey: string; id: string } | null = null;
    for (;;) {
      const batch = await this.interactions.pageOfSessionAfter(
        organizationId,
        sessionId,
        after,
        EXPORT_BATCH_SIZE,
        withContent,
      );
      if (batch.length > 0) yield batch;
      if (batch.length < EXPORT_BATCH_SIZE) return;
      const last = batch[batch.length - 1];
      after = { startedAtKey: last.startedAtKey, id: last.id };
    }
  }
}

async function* csvLines(batches: AsyncIterable<InteractionView[]>): AsyncGenerator<string> {
  yield csvHeader();
  for await (const batch of batches) yield batch.map((row) => csvRow(toInteractionResponse(row))).join('');
}

async function* jsonlLines(batches: AsyncIterable<InteractionView[]>): AsyncGenerator<string> {
  for await (const batch of batches) {
    yield batch
      .map((row) => jsonlRow({ ...toInteractionResponse(row), sessionId: row.sessionId, content: row.content }))
      .join('');
  }
}

function toInteractionResponse(i: InteractionView): SessionInteractionDto {
  return {
    id: i.id,
    model: i.model,
    stream: i.stream,
    outcome: i.outcome,
    httpStatus: i.httpStatus,
    stopReason: i.stopReason,
    errorType: i.errorType,
    inputTokens: i.inputTokens,
    outputTokens: i.outputTokens,
    cacheReadTokens: i.cacheReadTokens,
    cacheWrite5mTokens: i.cacheWrite5mTokens,
    cacheWrite1hTokens: i.cacheWrite1hTokens,
    totalTokens: totalTokens(i),
    cost:
      i.cost === null
        ? null
        : {
            inputNanoUsd: i.cost.inputNanoUsd,
            outputNanoUsd: i.cost.outputNanoUsd,
            cacheReadNanoUsd: i.cost.cacheReadNanoUsd,
            cacheWrite5mNanoUsd: i.cost.cacheWrite5mNanoUsd,
            cacheWrite1hNanoUsd: i.cost.cacheWrite1hNanoUsd,
            toolsNanoUsd: i.cost.toolsNanoUsd ?? 0,
            multipliersNanoUsd: i.cost.multipliersNanoUsd ?? 0,
            totalNanoUsd: i.cost.totalNanoUsd,
            breakdown: i.cost.detail ?? null,
          },
    costUsd: i.cost === null ? null : i.cost.totalNanoUsd / 1e9,
    pricingVersion: i.pricingVersion,
    usage: i.rawUsage ?? null,
    latencyMs: i.latencyMs,
    timeToFirstTokenMs: i.timeToFirstTokenMs,
    upstreamRequestId: i.upstreamRequestId,
    agentId: i.agentId,
    parentAgentId: i.parentAgentId,
    userQuery: i.userQuery,
    finalOutput: i.finalOutput,
    contentTruncated: i.contentTruncated,
    contentStatus: i.contentStatus,
    startedAt: i.startedAt.toISOString(),
    endedAt: i.endedAt.toISOString(),
  };
}
