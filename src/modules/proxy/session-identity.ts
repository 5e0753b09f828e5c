import type { IncomingHttpHeaders } from 'node:http';
import { storableId } from '../../common/text/storable-text';
import type { SessionDevice } from '../sessions/session.entity';

const DEFAULT_SESSION_ID = 'default-session';
const MAX_ID_LENGTH = 255;
const UNKNOWN = 'unknown';

export interface SessionIdentity {
  externalId: string;
  device: SessionDevice;
  agentId: string | null;
  /** The agent that started this one (Claude Code's subagents); null for a top-level agent. */
  parentAgentId: string | null;
}

const CLAUDE_CODE_USER_ID = /^user_([A-Za-z0-9]+)_account_([0-9a-f-]*)_session_([0-9a-f-]+)$/i;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  const trimmed = text === undefined ? undefined : storableId(text, MAX_ID_LENGTH * 2).trim();
  return trimmed ? storableId(trimmed, MAX_ID_LENGTH) : undefined;
}

/**
 * Parses `metadata.user_id`: Claude Code's `user_<device>_account_<uuid>_session_<uuid>` form,
 * its JSON form `{device_id, account_uuid, session_id}`, or any other string as the session id.
 */
export function parseMetadataUserId(userId: unknown): { sessionId?: string; deviceId?: string } {
  if (typeof userId !== 'string') return {};
  // Ids are stored as text: lone surrogates become U+FFFD and NUL characters are removed (docs/recording.md, "Session ids").
  const value = storableId(userId, 64 * 1024).trim();
  if (!value) return {};
  const claudeCode = CLAUDE_CODE_USER_ID.exec(value);
  if (claudeCode) return { deviceId: claudeCode[1], sessionId: claudeCode[3] };
  if (value.startsWith('{')) {
    try {
      const parsed = JSON.parse(value) as { session_id?: unknown; device_id?: unknown };
      const text = (field: unknown) =>
        typeof field === 'string' && storableId(field, MAX_ID_LENGTH).trim()
          ? storableId(field, MAX_ID_LENGTH).trim()
          : undefined;
      return { sessionId: text(parsed.session_id), deviceId: text(parsed.device_id) };
    } catch {
      // Not JSON after all: use it as it is.
    }
  }
  return { sessionId: storableId(value, MAX_ID_LENGTH) };
}

/**
 * Which session a call belongs to: `x-lamplight-session-id`, else `x-claude-code-session-id`,
 * else `metadata.user_id`, else "default-session". The device comes from the SDK's headers.
 */
export function resolveSessionIdentity(headers: IncomingHttpHeaders, body: unknown): SessionIdentity {
  const metadata = (body as { metadata?: { user_id?: unknown } } | null)?.metadata;
  const fromMetadata = parseMetadataUserId(metadata?.user_id);
  const externalId =
    header(headers, 'x-lamplight-session-id') ??
    header(headers, 'x-claude-code-session-id') ??
    fromMetadata.sessionId ??
    DEFAULT_SESSION_ID;

  const userAgent = header(headers, 'user-agent');
  const lang = header(headers, 'x-stainless-lang');
  const runtime = header(headers, 'x-stainless-runtime');
  const runtimeVersion = header(headers, 'x-stainless-runtime-version');
  const device: SessionDevice = {
    id: header(headers, 'x-lamplight-device-id') ?? fromMetadata.deviceId ?? UNKNOWN,
    platform: header(headers, 'x-stainless-os') ?? UNKNOWN,
    type: userAgent?.startsWith('claude-cli') ? 'claude-code' : lang ? `sdk-${lang}` : UNKNOWN,
    name: runtime ? `${runtime}${runtimeVersion ? ` ${runtimeVersion}` : ''}` : (userAgent ?? UNKNOWN),
    osVersion: header(headers, 'x-stainless-os-version') ?? UNKNOWN,
  };
  return {
    externalId,
    device,
    agentId: header(headers, 'x-claude-code-agent-id') ?? null,
    parentAgentId: header(headers, 'x-claude-code-parent-agent-id') ?? null,
  };
}
