/** Base class of every error the remediator raises on purpose. */
export class RemediatorError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RemediatorError';
  }
}

/** The input is not something we diagnose: malformed JSON, another event type, missing fields. */
export class InvalidInputError extends RemediatorError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidInputError';
  }
}

/** The command line is not one the CLI understands. */
export class UsageError extends InvalidInputError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** Attaching a fix failed; any half-written policy was removed first. */
export class ApplyError extends RemediatorError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ApplyError';
  }
}

/** The job did not fail, so there is nothing to diagnose. */
export class NotAFailureError extends InvalidInputError {
  public readonly status: string;

  public constructor(status: string, options?: ErrorOptions) {
    super(`the job status is ${status}, not Failed: nothing to diagnose`, options);
    this.name = 'NotAFailureError';
    this.status = status;
  }
}

/** An incident's digest could not be published; the invocation fails so that it is retried. */
export class DigestError extends RemediatorError {
  public readonly incidentId: string;

  public constructor(message: string, incidentId: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DigestError';
    this.incidentId = incidentId;
  }
}
