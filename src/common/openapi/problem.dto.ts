export class FieldErrorDto {
  /** @example "name" */
  field: string;
  /** @example "name must be longer than or equal to 1 characters" */
  message: string;
}

/** RFC 9457 problem details. */
export class ProblemDto {
  /** @example "https://lamplight.dev/problems/validation-failed" */
  type: string;
  /** @example "Bad Request" */
  title: string;
  /** @example 400 */
  status: number;
  /** @example "The request is not valid; see errors for each field" */
  detail: string;
  /**
   * A stable machine-readable code, one of those listed.
   * @example "VALIDATION_FAILED"
   */
  code: string;
  /** The request id, also in the `x-request-id` response header. */
  requestId: string;
  /** Each failing field, for validation errors. */
  errors?: FieldErrorDto[];
}
