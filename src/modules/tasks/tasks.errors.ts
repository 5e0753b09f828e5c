import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import { ProxyErrorCode } from '../proxy/proxy.errors';

export enum TaskErrorCode {
  NotFound = 'TASK_NOT_FOUND',
  SessionReleased = 'SESSION_RELEASED',
}

export const TaskErrors = {
  /** Also for another organization's task and for a task of a deleted session. */
  notFound: () => new DomainError(TaskErrorCode.NotFound, HttpStatus.NOT_FOUND, 'Task not found'),
  sessionReleased: () =>
    new DomainError(
      TaskErrorCode.SessionReleased,
      HttpStatus.CONFLICT,
      'The session named by this UUID is released; send its external id to open a new session under it',
    ),
  /** The proxy's refusal (NoProviderKeyError) as a task answers it: the caller cannot send a key here. */
  noProviderKey: () =>
    new DomainError(
      ProxyErrorCode.NoProviderKey,
      HttpStatus.CONFLICT,
      'The organization has no Anthropic provider key; an admin can store one at /api/v1/provider-keys',
    ),
};
