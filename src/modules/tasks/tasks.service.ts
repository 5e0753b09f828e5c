import { Injectable } from '@nestjs/common';
import type { OrganizationContext, Principal } from '../../common/auth/principal';
import { NoProviderKeyError } from '../proxy/proxy.errors';
import { ProxyService } from '../proxy/proxy.service';
import { InteractionOutcome } from '../recording/interaction.entity';
import { RecorderService } from '../recording/recorder.service';
import { SessionHistoryService } from '../sessions/session-history.service';
import { describeFailure, totalTokens } from '../sessions/session-events';
import type { InteractionView } from '../recording/interactions.service';
import { SessionsService } from '../sessions/sessions.service';
import {
  type CreateTaskDto,
  DEFAULT_TASK_MAX_TOKENS,
  DEFAULT_TASK_MODEL,
  type TaskErrorDto,
  type TaskResponseDto,
} from './dto/task.dto';
import { TaskErrors } from './tasks.errors';

/** Earlier turns sent as context: the latest ones, so a long session does not outgrow the request. */
const TASK_CONTEXT_TURNS = 50;

/** What a task call looks like to the proxy: an SDK-like client naming its session. */
const TASK_HEADERS = {
  'anthropic-version': '2023-06-01',
  'content-type': 'application/json',
  'user-agent': 'lamplight-tasks',
};

/** The facts of a task, whether just made (the queued record) or read back (the stored interaction). */
type TaskFacts = { sessionExternalId: string } & Pick<
  InteractionView,
  | 'id'
  | 'sessionId'
  | 'model'
  | 'outcome'
  | 'httpStatus'
  | 'stopReason'
  | 'errorType'
  | 'inputTokens'
  | 'outputTokens'
  | 'cacheReadTokens'
  | 'cacheWrite5mTokens'
  | 'cacheWrite1hTokens'
  | 'cost'
  | 'latencyMs'
> & { startedAt: Date | string };

/**
 * Tasks: a query answered by one Messages call through the proxy's own path (the
 * organization's stored provider key, the session found or opened, its budget, the upstream
 * client's retries, the recording), with the session's earlier turns as context.
 */
@Injectable()
export class TasksService {
  constructor(
    private readonly proxy: ProxyService,
    private readonly sessions: SessionsService,
    private readonly history: SessionHistoryService,
    private readonly recorder: RecorderService,
  ) {}

  async create(principal: Principal, organization: OrganizationContext, dto: CreateTaskDto): Promise<TaskResponseDto> {
    const requested = dto.session_id.trim();
    const existing = await this.sessions.findVisible(organization.organizationId, requested);
    const namedByUuid = existing !== null && existing.id === requested.toLowerCase();
    if (namedByUuid && existing.releasedAt) throw TaskErrors.sessionReleased();
    // The proxy routes by external id: to the open session with it, or a new one.
    const externalId = namedByUuid ? existing.externalId : requested;
    const turns =
      existing && !existing.releasedAt
        ? await this.history.earlierTurns(organization.organizationId, existing.id, TASK_CONTEXT_TURNS)
        : [];
    const messages = [
      ...turns.flatMap((turn) => [
        { role: 'user', content: turn.userQuery },
        { role: 'assistant', content: turn.finalOutput },
      ]),
      { role: 'user', content: dto.query },
    ];

    const result = await this.proxy
      .createMessage({
        principal,
        organization,
        headers: { ...TASK_HEADERS, 'x-lamplight-session-id': externalId },
        body: {
          model: dto.model ?? DEFAULT_TASK_MODEL,
          max_tokens: dto.max_tokens ?? DEFAULT_TASK_MAX_TOKENS,
          ...(dto.system !== undefined ? { system: dto.system } : {}),
          messages,
        },
      })
      .catch((error: unknown) => {
        throw error instanceof NoProviderKeyError ? TaskErrors.noProviderKey() : error;
      });
    // The recorder writes in batches; flushing now makes GET /tasks/{id} find the task at once.
    await this.recorder.flush();

    const task = { ...result.interaction, sessionExternalId: result.sessionExternalId };
    const answer = result.body as { content?: unknown; error?: { type?: unknown; message?: unknown } } | null;
    const upstreamError =
      typeof answer?.error?.message === 'string'
        ? { type: errorTypeText(answer.error.type), message: answer.error.message }
        : null;
    return toTaskResponse(task, {
      query: dto.query,
      output: textOf(answer?.content) ?? task.finalOutput,
      error: task.outcome === InteractionOutcome.Ok ? null : (upstreamError ?? failureOf(task)),
    });
  }

  async get(organization: OrganizationContext, id: string): Promise<TaskResponseDto> {
    const interaction = await this.history.findInteraction(organization.organizationId, id);
    if (!interaction) throw TaskErrors.notFound();
    return toTaskResponse(interaction, {
      query: interaction.userQuery,
      output: interaction.finalOutput,
      error: interaction.outcome === InteractionOutcome.Ok ? null : failureOf(interaction),
    });
  }
}

function failureOf(task: Pick<TaskFacts, 'outcome' | 'httpStatus' | 'errorType'>): TaskErrorDto {
  return { type: task.errorType ?? task.outcome, message: describeFailure(task) };
}

/** The text blocks of an Anthropic message's content, joined; null when there are none. */
function textOf(content: unknown): string | null {
  if (!Array.isArray(content)) return null;
  const texts = content
    .filter((block: { type?: unknown; text?: unknown }) => block?.type === 'text' && typeof block.text === 'string')
    .map((block: { text: string }) => block.text);
  return texts.length > 0 ? texts.join('') : null;
}

const STATUS: Record<InteractionOutcome, TaskResponseDto['status']> = {
  [InteractionOutcome.Ok]: 'completed',
  [InteractionOutcome.Error]: 'failed',
  [InteractionOutcome.UpstreamError]: 'failed',
  [InteractionOutcome.Cancelled]: 'cancelled',
};

function toTaskResponse(
  task: TaskFacts,
  said: { query: string | null; output: string | null; error: TaskErrorDto | null },
): TaskResponseDto {
  return {
    task_id: task.id,
    session_id: task.sessionId,
    session_external_id: task.sessionExternalId,
    status: STATUS[task.outcome],
    query: said.query,
    output: said.output,
    model: task.model,
    stop_reason: task.stopReason,
    http_status: task.httpStatus,
    error: said.error,
    usage: {
      input_tokens: task.inputTokens,
      output_tokens: task.outputTokens,
      cache_read_tokens: task.cacheReadTokens,
      cache_write_5m_tokens: task.cacheWrite5mTokens,
      cache_write_1h_tokens: task.cacheWrite1hTokens,
      total_tokens: totalTokens(task),
      cost_usd: task.cost === null ? null : task.cost.totalNanoUsd / 1e9,
    },
    latency_ms: task.latencyMs,
    created_at: new Date(task.startedAt).toISOString(),
  };
}

/** An upstream error's `type` as text: a string as it is, any other JSON value as JSON, none as api_error. */
function errorTypeText(type: unknown): string {
  if (typeof type === 'string') return type;
  return type === undefined || type === null ? 'api_error' : JSON.stringify(type);
}
