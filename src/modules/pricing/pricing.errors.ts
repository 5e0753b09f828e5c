import { CommonErrors } from '../../common/errors/common.errors';

export const PricingErrors = {
  invalidRange: () => CommonErrors.invalidRange('since must be before until'),
};
