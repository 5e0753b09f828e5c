import { InteractionOutcome } from '../recording/interaction.entity';
import { personalText } from '../../common/text/personal-text';
import type { SessionEventDto, SessionEventType, SessionTurnDto } from './dto/session-history.dto';
import type { InteractionView } from '../recording/interactions.service';

interface StoredBlock {
  type?: unknown;
  text?: unknown;
  name?: unknown;
  input?: unknown;
  partialJson?: unknown;
  content?: unknown;
}

interface StoredMessage {
  role?: unknown;
  content?: unknown;
}

/** What the proxy stores in `content`: the turn's request messages and the response blocks. */
interface StoredContent {
  request?: unknown;
  response?: unknown;
}

export function totalTokens(
  i: Pick<
    InteractionView,
    'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWrite5mTokens' | 'cacheWrite1hTokens'
  >,
): number {
  return i.inputTokens + i.outputTokens + i.cacheReadTokens + i.cacheWrite5mTokens + i.cacheWrite1hTokens;
}

/**
 * A turn: one interaction, its events rebuilt from the stored content. Prompts and tool
 * results come from the turn's request messages, outputs and tool calls from the response blocks
 * (only of a completed call: what a cancelled or broken stream left is partial and never shown),
 * and a failed call ends with an ERROR event.
 */
export function toTurn(interaction: InteractionView, turn: number): SessionTurnDto {
  const events = turnEvents(interaction);
  const firstOutput = events.find((event) => event.type === 'LLM_OUTPUT');
  // What a failed call produced before it broke is partial, not its output.
  const completed = interaction.outcome === InteractionOutcome.Ok;
  return {
    turn,
    task_id: interaction.id,
    user_query: interaction.userQuery,
    final_output: completed ? interaction.finalOutput || firstOutput?.message || null : null,
    timestamp: interaction.startedAt.toISOString(),
    events,
    metadata: {
      tokens_used: totalTokens(interaction),
      execution_time_ms: interaction.latencyMs,
      agents_involved: interaction.agentId ? [interaction.agentId] : [],
      parent_agent_id: interaction.parentAgentId,
      cost_usd: interaction.cost === null ? null : interaction.cost.totalNanoUsd / 1e9,
      cost_breakdown: interaction.cost?.detail ?? null,
    },
  };
}

function turnEvents(interaction: InteractionView): SessionEventDto[] {
  const started = interaction.startedAt.toISOString();
  const ended = interaction.endedAt.toISOString();
  const events: SessionEventDto[] = [];
  const add = (type: SessionEventType, message: string, timestamp: string) => {
    if (message) events.push({ workflow_id: interaction.id, type, message, timestamp });
  };
  const content = interaction.content as StoredContent | null | undefined;
  const request = Array.isArray(content?.request) ? (content.request as StoredMessage[]) : null;
  const response = Array.isArray(content?.response) ? (content.response as StoredBlock[]) : null;
  const completed = interaction.outcome === InteractionOutcome.Ok;

  if (request) {
    for (const message of request) {
      if (message?.role !== 'user') continue;
      // A prompt is what the person typed: what a coding agent injected stays in the stored content only.
      if (typeof message.content === 'string') add('LLM_PROMPT', personalText(message.content), started);
      else if (Array.isArray(message.content)) {
        for (const block of message.content as StoredBlock[]) {
          if (block?.type === 'text' && typeof block.text === 'string')
            add('LLM_PROMPT', personalText(block.text), started);
          else if (block?.type === 'tool_result') add('TOOL_RESULT', textOf(block.content), started);
        }
      }
    }
  } else if (interaction.userQuery) {
    add('LLM_PROMPT', interaction.userQuery, started);
  }

  if (completed && response) {
    for (const block of response) {
      if (block?.type === 'text' && typeof block.text === 'string') add('LLM_OUTPUT', block.text, ended);
      else if ((block?.type === 'tool_use' || block?.type === 'server_tool_use') && block.partialJson === undefined) {
        // eslint-disable-next-line @typescript-eslint/no-base-to-string -- stored JSON of any type, made text as it comes
        add('TOOL_USE', `${String(block.name ?? 'tool')} ${JSON.stringify(block.input ?? {})}`, ended);
      } else if (typeof block?.type === 'string' && block.type.endsWith('_tool_result')) {
        add('TOOL_RESULT', textOf(block.content), ended);
      }
    }
  } else if (completed && interaction.finalOutput) {
    add('LLM_OUTPUT', interaction.finalOutput, ended);
  }

  if (!completed) add('ERROR', describeFailure(interaction), ended);
  return events;
}

/** A sentence for a call that did not complete. */
export function describeFailure(i: Pick<InteractionView, 'outcome' | 'httpStatus' | 'errorType'>): string {
  switch (i.outcome) {
    case InteractionOutcome.Cancelled:
      return `The client cancelled the call (HTTP ${i.httpStatus})`;
    case InteractionOutcome.Error:
      return `Anthropic refused the request: ${i.errorType ?? 'error'} (HTTP ${i.httpStatus})`;
    default:
      return `Anthropic failed: ${i.errorType ?? 'upstream_error'} (HTTP ${i.httpStatus})`;
  }
}

/** A tool result's content as text: a string as is, text blocks joined, anything else as JSON. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const texts = content
      .filter((b: StoredBlock) => b?.type === 'text' && typeof b.text === 'string')
      .map((b: StoredBlock) => b.text as string);
    if (texts.length === content.length) return texts.join('\n');
  }
  return content === undefined || content === null ? '' : JSON.stringify(content);
}
