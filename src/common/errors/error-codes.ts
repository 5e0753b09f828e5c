import { AnalyticsErrorCode } from '../../modules/analytics/analytics.errors';
import { ApiKeyErrorCode } from '../../modules/api-keys/api-keys.errors';
import { AuthErrorCode } from '../../modules/auth/auth.errors';
import { ConsoleErrorCode } from '../../modules/console/console.errors';
import { OrganizationErrorCode } from '../../modules/organizations/organizations.errors';
import { ProviderKeyErrorCode } from '../../modules/provider-keys/provider-keys.errors';
import { ProxyErrorCode } from '../../modules/proxy/proxy.errors';
import { SessionErrorCode } from '../../modules/sessions/sessions.errors';
import { SharingErrorCode } from '../../modules/sharing/sharing.errors';
import { SpendLimitErrorCode } from '../../modules/spend-limits/spend-limits.errors';
import { TaskErrorCode } from '../../modules/tasks/tasks.errors';
import { CommonErrorCode } from './common.errors';

/**
 * Every code enum: the common one and one per module, each in its `*.errors.ts`. A DomainError
 * takes only a member of one of these (ErrorCode), and the OpenAPI document lists them all on
 * the problem schema's `code` (errorCodes()), so an enum missing here is a compile error, not a
 * code missing from the document.
 */
export const ERROR_CODE_ENUMS = {
  CommonErrorCode,
  AnalyticsErrorCode,
  ApiKeyErrorCode,
  AuthErrorCode,
  ConsoleErrorCode,
  OrganizationErrorCode,
  ProviderKeyErrorCode,
  ProxyErrorCode,
  SessionErrorCode,
  SharingErrorCode,
  SpendLimitErrorCode,
  TaskErrorCode,
} as const;

type ValuesOf<T> = T extends unknown ? T[keyof T] : never;

/** A machine code a client may receive in a problem's `code`. */
export type ErrorCode = ValuesOf<(typeof ERROR_CODE_ENUMS)[keyof typeof ERROR_CODE_ENUMS]>;

/** Every code, sorted (the `enum` of the problem schema's `code`). */
export function errorCodes(): ErrorCode[] {
  return Object.values(ERROR_CODE_ENUMS)
    .flatMap((codes) => Object.values(codes) as ErrorCode[])
    .sort();
}
