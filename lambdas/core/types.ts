import type { JobType } from './job-types.js';
/**
 * The vocabulary of the diagnosis core. Everything here is plain data: readonly, serialisable, and
 * free of SDK types, so the Lambda, the CLI and the tests share it.
 */

/** Where a fix has to happen: the kind of policy that blocked the request. */
export const FIX_LOCATIONS = {
  identityPolicy: 'identity-policy',
  resourcePolicy: 'resource-policy',
  scp: 'scp',
  resourceControlPolicy: 'resource-control-policy',
  permissionsBoundary: 'permissions-boundary',
  sessionPolicy: 'session-policy',
  vpcEndpointPolicy: 'vpc-endpoint-policy',
  trustPolicy: 'trust-policy',
  unknown: 'unknown',
} as const;
export type FixLocation = (typeof FIX_LOCATIONS)[keyof typeof FIX_LOCATIONS];

/** What the job was doing when it was denied. */
export const CHANNELS = {
  inputData: 'input-data',
  sourceCode: 'source-code',
  output: 'output',
  checkpoint: 'checkpoint',
  debuggerOutput: 'debugger-output',
  profilerOutput: 'profiler-output',
  tensorboardOutput: 'tensorboard-output',
  modelData: 'model-data',
  ecrImage: 'ecr-image',
  kms: 'kms',
  vpcNetwork: 'vpc-network',
  cloudwatchLogs: 'cloudwatch-logs',
  cloudwatchMetrics: 'cloudwatch-metrics',
  fsx: 'fsx',
  efs: 'efs',
  trust: 'trust',
  jobSubmission: 'job-submission',
  namedAction: 'named-action',
} as const;
export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];

/**
 * How sure the text makes us: `certain` when it names the action and the denying policy type,
 * `likely` when one of them is inferred, `possible` when it names several causes (certainty.ts).
 */
export type Certainty = 'certain' | 'likely' | 'possible';

/** A kind of SageMaker job: the rows of lambdas/core/job-types.ts. */
export type { JobType };

/** An S3 location the job reads or writes, by the channel that uses it. */
export interface S3Location {
  readonly channel: Channel;
  readonly uri: string;
  readonly bucket: string;
  /** Key prefix without a leading slash; empty for a whole bucket. */
  readonly prefix: string;
  /** True when the URI names one object (a manifest, a source tarball), not a prefix. */
  readonly isObject: boolean;
}

/** A KMS key the job's configuration names, by what it protects. */
export interface KmsKeyReference {
  readonly use: 'volume' | 'output' | 'input';
  /** As configured: key id, key ARN, alias name or alias ARN. */
  readonly keyId: string;
  /** Where a key the configuration does not name was found (a bucket's default encryption). */
  readonly foundIn?: string;
}

/** One typed view of a failed job, from an EventBridge detail or a Describe*Job response. */
export interface JobContext {
  readonly jobType: JobType;
  readonly jobName?: string;
  readonly jobArn?: string;
  readonly partition: string;
  readonly region?: string;
  readonly accountId?: string;
  readonly roleArn?: string;
  /**
   * Further execution roles the configurations name (a tuning job's definitions, an endpoint's
   * models): the resources below are then the union of several roles' and cannot be attributed.
   */
  readonly otherRoleArns?: readonly string[];
  readonly failureReason?: string;
  /**
   * Where the failure was seen: a job that failed (`job-state-change`), or a Create*Job call that was
   * denied before any job existed (`api-call`, from CloudTrail). Only the former can be described.
   */
  readonly origin: 'job-state-change' | 'api-call';
  readonly s3Locations: readonly S3Location[];
  readonly images: readonly string[];
  readonly kmsKeys: readonly KmsKeyReference[];
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  readonly fileSystems: readonly { readonly type: 'fsx' | 'efs'; readonly id: string }[];
}

/**
 * What a denied request was read from: a documented `is not authorized to perform` statement, a
 * sentence that says a permission is missing, the call that failed named beside a denial that does not
 * name its own action (`Failed to invoke sagemaker:CreateModelPackage. ... Access denied for bucket`),
 * or the operation an SDK wrapper names. The last two are inferred: a more specific wording wins.
 */
export type DenialEvidence = 'statement' | 'words' | 'failed-call' | 'operation';

/** One AccessDenied statement as AWS wrote it. */
export interface DeniedRequest {
  readonly evidence: DenialEvidence;
  readonly principalArn?: string;
  /** `service:Action` as named by the message, or derived from the API operation it names. */
  readonly action?: string;
  readonly resource?: string;
  readonly fixLocation: FixLocation;
  /** True when a reason clause names the policy type; false when the location is inferred. */
  readonly fixLocationStated: boolean;
  readonly explicitDeny: boolean;
  /** ARN of the denying policy where newer messages name it. */
  readonly policyArn?: string;
  readonly matchedText: string;
}

/** An IAM condition block, e.g. `{ StringLike: { 's3:prefix': ['data/*'] } }`. */
export type PolicyCondition = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

/** Where a grant's resources come from; only `job` resources may ever be applied automatically. */
export type ResourceSource = 'job' | 'message' | 'placeholder' | 'not-resource-scoped';

/** A set of actions on a set of resources: one policy statement before merging. */
export interface Grant {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly condition?: PolicyCondition;
  readonly resourceSource: ResourceSource;
  /** Why the resources are not the job's own (a resource the job does not name, a placeholder). */
  readonly reason?: string;
}

/** One blocked access and what it takes to unblock it. */
export interface Finding {
  readonly ruleId: string;
  readonly channel: Channel;
  readonly certainty: Certainty;
  readonly fixLocation: FixLocation;
  readonly principalArn?: string;
  readonly explicitDeny: boolean;
  readonly policyArn?: string;
  /** True when the text itself names the kind of policy that denied (a reason clause, a wording). */
  readonly fixLocationFromText?: boolean;
  /** The service principal a resource policy must allow, when the text names one (else the role). */
  readonly servicePrincipal?: string;
  readonly grants: readonly Grant[];
  /** Likely causes in order, for messages that name several. */
  readonly causes: readonly string[];
  /** Why a grant was narrowed or an action was left out. */
  readonly notes: readonly string[];
  readonly matchedText: string;
}

/** Why the text is not a permission problem. */
export const NON_PERMISSION_CATEGORIES = {
  outOfMemory: 'out-of-memory',
  userCode: 'user-code',
  capacity: 'capacity',
  quota: 'quota',
  missingData: 'missing-data',
  missingImage: 'missing-image',
  network: 'network',
  validation: 'validation',
  credentials: 'credentials',
  localFilesystem: 'local-filesystem',
  externalService: 'external-service',
  serviceError: 'service-error',
  identityCenterAssignment: 'identity-center-assignment',
  unrecognised: 'unrecognised',
} as const;
export type NonPermissionCategory =
  (typeof NON_PERMISSION_CATEGORIES)[keyof typeof NON_PERMISSION_CATEGORIES];

interface DiagnosisBase {
  readonly jobName?: string;
  readonly roleArn?: string;
  readonly accountId?: string;
  /** True when the text came from the training container (AlgorithmError): untrusted. */
  readonly untrustedText: boolean;
  /** True when the text was longer than the core reads and was cut. */
  readonly truncated: boolean;
}

/** A failure caused by missing or blocked permissions. */
export interface PermissionDiagnosis extends DiagnosisBase {
  readonly kind: 'permission';
  readonly findings: readonly Finding[];
}

/** A failure with another cause: no actions, no proposal. */
export interface NonPermissionDiagnosis extends DiagnosisBase {
  readonly kind: 'not-permission';
  readonly category: NonPermissionCategory;
  readonly ruleId?: string;
  readonly summary: string;
}

export type Diagnosis = PermissionDiagnosis | NonPermissionDiagnosis;

/** One action on one resource that SimulatePrincipalPolicy reported as allowed. */
export interface AllowedPair {
  readonly action: string;
  readonly resource: string;
}

/** What checking the proposal against the role's live policies found. */
export type Verification =
  | { readonly status: 'verified'; readonly allowed: readonly AllowedPair[] }
  | { readonly status: 'unverified'; readonly reason: string }
  | { readonly status: 'not-attempted'; readonly reason: string };

/**
 * A piece of a line of a message: prose the service wrote, or a value (name, ARN, command, quote)
 * shown verbatim. Every rendering (render.ts) neutralises each span for its channel.
 */
export type Span = string | { readonly code: string };
export type Line = readonly Span[];
