import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';

export const TaskErrors = {
  /** Also for another organization's task and for a task of a deleted session. */
  notFound: () => new DomainError('TASK_NOT_FOUND', HttpStatus.NOT_FOUND, 'Task not found'),
  sessionReleased: () =>
    new DomainError(
      'SESSION_RELEASED',
      HttpStatus.CONFLICT,
      'The session named by this UUID is released; send its external id to open a new session under it',
    ),
  noProviderKey: () =>
    new DomainError(
      'NO_PROVIDER_KEY',
      HttpStatus.CONFLICT,
      'The organization has no Anthropic provider key; an admin can store one at /api/v1/provider-keys',
    ),
};
