/**
 * The rule catalog: which failure texts mean what. Data, not code: a rule is one entry with an id,
 * its patterns, what it implies, and the real messages it must and must not match. Adding a rule is
 * one entry here; `test/unit/catalog.test.ts` runs every example through the whole diagnosis.
 *
 * Permission rules name the channel a SageMaker wording points at (`Data download failed` is input
 * data) and the actions it implies when the text names none. Non-permission rules explain why a text
 * is not a permission problem; they only apply when the text holds no AccessDenied statement.
 */
import type { Certainty, Channel, FixLocation, NonPermissionCategory } from './types.js';
import { ECR_PULL_ACTIONS } from './actions.js';
import { CHANNELS, FIX_LOCATIONS, NON_PERMISSION_CATEGORIES } from './types.js';

interface RuleBase {
  readonly id: string;
  /** Why the rule fired, in one line a reader of the proposal understands. */
  readonly summary: string;
  /** Why the rule exists: what produces this text. */
  readonly explanation: string;
  /** Any match selects the rule. Keep them linear: bounded gaps, no nested quantifiers. */
  readonly patterns: readonly RegExp[];
  readonly examples: { readonly match: readonly string[]; readonly noMatch: readonly string[] };
}

export interface PermissionRule extends RuleBase {
  readonly kind: 'permission';
  readonly channel: Channel;
  /** Actions the text implies when it names no action itself. */
  readonly actions: readonly string[];
  readonly certainty: Certainty;
  /** Set when the wording itself says where the fix lives (a trust policy). */
  readonly fixLocation?: FixLocation;
  /** Likely causes in order, for texts that name several. */
  readonly causes?: readonly string[];
  /**
   * Also take the IAM actions the text names in words (`s3:ListBucket`, "call CreateNetworkInterface"),
   * each checked against the published action list, with the companions of their channel.
   */
  readonly actionsFromText?: boolean;
}

export interface NonPermissionRule extends RuleBase {
  readonly kind: 'not-permission';
  readonly category: NonPermissionCategory;
}

export type CatalogRule = PermissionRule | NonPermissionRule;

/** A bounded gap between two parts of a message, so that patterns stay linear on long texts. */
const DENIED = String.raw`(?:AccessDenied|Access Denied|\(403\)|403 Forbidden|not authorized to perform)`;

/** Permission rules, most specific first: the first match names the channel. */
export const PERMISSION_RULES: readonly PermissionRule[] = [
  {
    kind: 'permission',
    id: 'kms-key-inaccessible',
    summary: 'SageMaker could not use a KMS key of the job',
    explanation:
      'Volume, output and input encryption keys are used with the execution role; the key policy or the ' +
      'role must allow it.',
    patterns: [
      /KMS key .{0,100}?(?:not accessible|is not authorized|access denied)/is,
      /KMS\.AccessDeniedException/,
    ],
    channel: CHANNELS.kms,
    actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
    certainty: 'certain',
    examples: {
      match: [
        'ClientError: Data download failed:Unable to download object s3://bucket/x.csv (KMS.AccessDeniedException: The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.)',
      ],
      noMatch: ['ClientError: KMS key alias/foo was created.'],
    },
  },
  {
    kind: 'permission',
    id: 's3-input-download-denied',
    summary: 'SageMaker could not download the input data from S3',
    explanation:
      'Before training starts SageMaker copies (File mode) or streams each S3 channel with the execution ' +
      'role: it lists the prefix and reads every object under it.',
    patterns: [
      new RegExp(
        String.raw`(?:Data download failed|Failed to download|Unable to download|Error downloading).{0,400}?${DENIED}`,
        's',
      ),
    ],
    channel: CHANNELS.inputData,
    actions: ['s3:GetObject', 's3:ListBucket'],
    certainty: 'certain',
    examples: {
      match: [
        'ClientError: Data download failed:Unable to download object s3://sagemaker-repository-dub/model-data-model-package_llama2-7b-v3-740347e540da35b4ab9f6fc0ab3fed2c (AccessDenied: Access Denied)',
      ],
      noMatch: [
        "ClientError: Data download failed:Please ensure that the subnet's route table has a route to an S3 VPC endpoint or a NAT device, and both the security groups and the subnet's network ACL allow outbound traffic to S3.",
      ],
    },
  },
  {
    kind: 'permission',
    id: 's3-output-upload-denied',
    summary: 'SageMaker could not upload the model artifacts to S3',
    explanation:
      'At the end of training SageMaker uploads /opt/ml/model (and /opt/ml/output) to the output path ' +
      'with a multipart upload, which needs s3:PutObject and s3:AbortMultipartUpload.',
    patterns: [
      new RegExp(
        String.raw`(?:Artifact upload failed|Failed to upload|Unable to upload|Error uploading).{0,400}?${DENIED}`,
        's',
      ),
    ],
    channel: CHANNELS.output,
    actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
    certainty: 'certain',
    examples: {
      match: [
        'ClientError: Artifact upload failed:Failed to upload model artifacts. An error occurred (AccessDenied) when calling the CreateMultipartUpload operation: Access Denied',
        'Failed to upload /tmp/tmp7kz5p8ja/temp-model.tar.gz to sagemaker-us-east-1-******/******/model.tar.gz: An error occurred (AccessDenied) when calling the CreateMultipartUpload operation: Access Denied',
      ],
      noMatch: ['ClientError: Artifact upload failed:Insufficient disk space'],
    },
  },
  {
    kind: 'permission',
    id: 'ecr-cannot-pull-container',
    summary: 'SageMaker could not pull the training image',
    explanation:
      'SageMaker pulls the image with the execution role. The message cannot tell a missing image or tag ' +
      'from missing ECR permissions or a repository policy in another account.',
    patterns: [/Cannot pull algorithm container/],
    channel: CHANNELS.ecrImage,
    actions: ECR_PULL_ACTIONS,
    certainty: 'possible',
    causes: [
      'the image or tag does not exist in the repository (check the URI and region)',
      'the execution role lacks the ECR pull actions on the repository',
      'the repository is in another account and its repository policy does not allow this role',
    ],
    examples: {
      match: [
        'ClientError: Cannot pull algorithm container. Either the image does not exist or its permissions are incorrect.',
      ],
      noMatch: [
        'ClientError: API error (404): manifest for 757901089955.dkr.ecr.us-west-2.amazonaws.com/tfrecord-processing:20210610131649 not found: manifest unknown: Requested image not found',
      ],
    },
  },
  {
    kind: 'permission',
    id: 'ecr-access-denied-for-repository',
    summary: 'SageMaker was denied access to the ECR repository of an image',
    explanation:
      'Model and endpoint creation check each image with the execution role; the text does not tell a ' +
      'missing repository or tag from missing pull permissions.',
    patterns: [/Access denied for repository/i],
    channel: CHANNELS.ecrImage,
    actions: ECR_PULL_ACTIONS,
    certainty: 'possible',
    causes: [
      'the execution role lacks the ECR pull actions on the repository',
      'the repository or the image tag does not exist in this region',
      'the repository is in another account and its repository policy does not allow this role',
    ],
    examples: {
      match: [
        'ClientError: Access denied for repository: custom-trainer in registry ID: 111122223333. Please check if your ECR repository and image exist and role arn:aws:iam::111122223333:role/SageMakerExecRole has proper pull permissions for SageMaker: ecr:BatchCheckLayerAvailability, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer',
      ],
      noMatch: ['ClientError: Repository custom-trainer does not exist in registry 111122223333'],
    },
  },
  {
    kind: 'permission',
    id: 'ecr-model-images-inaccessible',
    summary: 'SageMaker could not access the model container images',
    explanation:
      'Endpoint creation checks every container image of every production variant with the role the ' +
      'model was created with; a missing image and missing permissions give the same text.',
    patterns: [/Please make sure all images included in the model .{0,200}?has permissions to access them/s],
    channel: CHANNELS.ecrImage,
    actions: ECR_PULL_ACTIONS,
    certainty: 'possible',
    causes: [
      'an image of the model does not exist (check each container URI and tag)',
      'the model execution role lacks the ECR pull actions on the repository',
    ],
    examples: {
      match: [
        'Please make sure all images included in the model for the production variant variant-1 exist, and that the execution role used to create the model has permissions to access them.',
      ],
      noMatch: ['Please make sure the endpoint configuration exists.'],
    },
  },
  {
    kind: 'permission',
    id: 's3-no-objects-found-listbucket',
    summary: 'SageMaker found no objects under an input prefix',
    explanation:
      'CreateTrainingJob lists each S3 prefix with the role. An empty prefix, a wrong region and a missing ' +
      's3:ListBucket all produce this text.',
    patterns: [/No S3 objects found under S3 URL/],
    channel: CHANNELS.inputData,
    actions: ['s3:ListBucket'],
    certainty: 'possible',
    causes: [
      'no objects exist under the prefix, or the bucket is in another region',
      'the role lacks s3:ListBucket on the bucket for this prefix',
    ],
    examples: {
      match: [
        'ClientError: An error occurred (ValidationException) when calling the CreateTrainingJob operation: No S3 objects found under S3 URL "s3://sagemaker-glue-example-521695447989-us-west-2/output/train" given in input data source. Please ensure that the bucket exists in the selected region (us-west-2), that objects exist under that S3 prefix, and that the role "arn:aws:iam::521695447989:role/ProdBuildSystemStack-ReleaseBuildRoleFB326D49-QK8LUA2UI1IC" has "s3:ListBucket" permissions on bucket "sagemaker-glue-example-521695447989-us-west-2".',
      ],
      noMatch: ['ClientError: Please ensure that the S3 path exists: s3://bucket/prefix'],
    },
  },
  {
    kind: 'permission',
    id: 's3-could-not-access-model-data',
    summary: 'SageMaker could not read the model data',
    explanation:
      'CreateModel reads ModelDataUrl with the execution role; the message lists the trust relationship, ' +
      's3:GetObject and (for uncompressed or multi-model data) s3:ListBucket as possible causes.',
    patterns: [/Could not access model data/],
    channel: CHANNELS.modelData,
    actions: ['s3:GetObject', 's3:ListBucket'],
    certainty: 'possible',
    causes: [
      'the model data does not exist at that path or is in another region',
      'the role lacks s3:GetObject (and s3:ListBucket for uncompressed or multi-model data)',
      'the role trust policy does not allow sagemaker.amazonaws.com',
    ],
    examples: {
      match: [
        'ClientError: An error occurred (ValidationException) when calling the CreateModel operation: Could not access model data at <initial-path-removed>/huggingface-qlora-mistralai-Mistral-7B--2023-10-06-11-27-09-016/output/model/. Please ensure that the role "<role-arn-removed>" exists and that its trust relationship policy allows the action "sts:AssumeRole" for the service principal "sagemaker.amazonaws.com". Also ensure that the role has "s3:GetObject" permissions and that the object is located in eu-west-1. If your Model uses multiple models or uncompressed models, please ensure that the role has "s3:ListBucket" permission.',
      ],
      noMatch: ['Could not find model data at s3://bucket/model.tar.gz.'],
    },
  },
  {
    kind: 'permission',
    id: 'trust-could-not-assume-role',
    summary: 'SageMaker could not assume the execution role',
    explanation:
      "The role's trust policy must allow sagemaker.amazonaws.com to call sts:AssumeRole; an Allow on the " +
      'role itself does not help.',
    patterns: [/Could not assume (?:role|provided IAM role)/, /allows principal 'sagemaker\.amazonaws\.com'/],
    channel: CHANNELS.trust,
    actions: ['sts:AssumeRole'],
    certainty: 'certain',
    fixLocation: FIX_LOCATIONS.trustPolicy,
    examples: {
      match: [
        "ClientError: An error occurred (ValidationException) when calling the CreateTransformJob operation: Could not assume role arn:aws:iam::XXX:role/PredictiveMaintenance-NotebookInstanceExecutionRol-YVBYTBKPP92H. Please ensure that the role exists and allows principal 'sagemaker.amazonaws.com' to assume the role.",
        'ValidationException: An error occurred (ValidationException) when calling the CreateModelCustomizationJob operation: Could not assume provided IAM role.',
      ],
      noMatch: ['Could not find role arn:aws:iam::111122223333:role/x'],
    },
  },
  {
    kind: 'permission',
    id: 'trust-unable-to-assume-role',
    summary: 'SageMaker was unable to assume the execution role',
    explanation:
      'Raised when the role ARN is wrong (a missing path, another account) or its trust policy does not ' +
      'allow sagemaker.amazonaws.com.',
    patterns: [/unable to assume (?:the )?role/i],
    channel: CHANNELS.trust,
    actions: ['sts:AssumeRole'],
    certainty: 'possible',
    fixLocation: FIX_LOCATIONS.trustPolicy,
    causes: [
      'the role ARN is wrong (a missing path such as service-role/, another account) or the role does not exist',
      'the trust policy does not allow sagemaker.amazonaws.com to assume the role',
    ],
    examples: {
      match: [
        "ClientError: SageMaker was unable to assume the role 'arn:aws:iam::<ACCOUNT>:role/AmazonSageMaker-ExecutionRole-20180114T073202'",
      ],
      noMatch: ['ClientError: SageMaker was unable to download the role policy'],
    },
  },
  {
    kind: 'permission',
    id: 'pipeline-role-insufficient',
    summary: 'The pipeline execution role cannot start or track the step job',
    explanation:
      'A SageMaker Pipelines step creates its job as the pipeline execution role, which needs the ' +
      'Create/Describe/AddTags actions for the job type and iam:PassRole on the job execution role.',
    patterns: [/pipeline execution role does not have sufficient permissions/],
    channel: CHANNELS.jobSubmission,
    actions: [
      'sagemaker:CreateTrainingJob',
      'sagemaker:DescribeTrainingJob',
      'sagemaker:AddTags',
      'iam:PassRole',
    ],
    certainty: 'possible',
    causes: [
      'the pipeline execution role lacks sagemaker:CreateTrainingJob, DescribeTrainingJob or AddTags',
      'the pipeline execution role cannot pass the job execution role (iam:PassRole)',
    ],
    examples: {
      match: ['ClientError: the pipeline execution role does not have sufficient permissions to the job.'],
      noMatch: ['ClientError: the pipeline definition is invalid.'],
    },
  },
  {
    kind: 'permission',
    id: 'role-lacks-named-permission',
    summary: 'The message says a role lacks a permission',
    explanation:
      'Validation messages name the permission a role lacks in words rather than as an AccessDenied ' +
      'statement; the text cannot tell whether an identity policy or another policy is missing it.',
    patterns: [
      /\brole\b.{0,120}?\b(?:does not have|doesn't have|lacks)\b.{0,80}?\bpermissions?\b/is,
      /\binsufficient (?:permissions|privileges)\b/i,
    ],
    channel: CHANNELS.namedAction,
    actions: [],
    actionsFromText: true,
    certainty: 'possible',
    causes: [
      "the role's identity policy lacks the permission the message names",
      'a resource policy, SCP or permissions boundary denies it',
    ],
    examples: {
      match: [
        'ValidationException: The provided execution role does not have permissions to call CreateNetworkInterface on EC2',
      ],
      noMatch: ['ClientError: The role was updated; please retry.'],
    },
  },
  {
    kind: 'permission',
    id: 'generic-access-denied',
    summary: 'An AWS call was denied',
    explanation:
      'The text carries an AccessDenied code or message but no SageMaker wording that tells which channel; ' +
      'the action comes from the statement or the API operation it names.',
    patterns: [
      /\bAccess ?Denied(?:Exception)?\b/i,
      /Status Code: 403; Error Code: AccessDenied/,
      /not authorized to perform/,
      /Encoded authorization failure message/,
      /when calling the \w+ operation: Forbidden/,
    ],
    channel: CHANNELS.namedAction,
    actions: [],
    certainty: 'certain',
    examples: {
      match: [
        'ClientError: An error occurred (403) when calling the HeadObject operation: Forbidden',
        'com.amazonaws.services.s3.model.AmazonS3Exception: Access Denied (Service: Amazon S3; Status Code: 403; Error Code: AccessDenied; Request ID: 0123456789ABCDEF)',
        'You are not authorized to perform this operation. Encoded authorization failure message: 4X1VmMjXO',
      ],
      noMatch: [
        "PermissionError: [Errno 13] Permission denied: '/opt/ml/model/model.pth'",
        '401 Client Error: Unauthorized for url: https://huggingface.co/api/models/meta-llama/Llama-2-7b-hf',
      ],
    },
  },
];

/** Non-permission rules: they say why a text without any AccessDenied statement is something else. */
export const NON_PERMISSION_RULES: readonly NonPermissionRule[] = [
  {
    kind: 'not-permission',
    id: 'out-of-memory',
    summary: 'The container ran out of memory',
    explanation: 'Exit code 137 is the kernel OOM killer; the fix is a larger instance or smaller batches.',
    patterns: [
      /instance type with more memory/,
      /Exit Code: 137/,
      /out of memory/i,
      /OutOfMemoryError/,
      /MemoryError/,
    ],
    category: NON_PERMISSION_CATEGORIES.outOfMemory,
    examples: {
      match: [
        'AlgorithmError: Please use an instance type with more memory, or reduce the size of training data processed on an instance. Exit Code: 137',
      ],
      noMatch: ['ClientError: Data download failed'],
    },
  },
  {
    kind: 'not-permission',
    id: 'capacity',
    summary: 'No ML capacity was available',
    explanation: 'Capacity errors are retried later or with another instance type; no policy change helps.',
    patterns: [/CapacityError/, /InsufficientCapacity/, /Unable to provision requested ML compute capacity/],
    category: NON_PERMISSION_CATEGORIES.capacity,
    examples: {
      match: [
        'CapacityError: Unable to provision requested ML compute capacity. Please retry using a different ML instance type.',
      ],
      noMatch: ['ResourceLimitExceeded: ...'],
    },
  },
  {
    kind: 'not-permission',
    id: 'service-quota',
    summary: 'An account service quota was exceeded',
    explanation: 'Quota errors need a Service Quotas increase, not an IAM change.',
    patterns: [/ResourceLimitExceeded/, /account-level service limit/],
    category: NON_PERMISSION_CATEGORIES.quota,
    examples: {
      match: [
        "ResourceLimitExceeded: An error occurred (ResourceLimitExceeded) when calling the CreateTrainingJob operation: The account-level service limit 'ml.p3.2xlarge for training job usage' is 0 Instances, with current utilization of 0 Instances and a request delta of 1 Instances. Please contact AWS support to request an increase for this limit.",
      ],
      noMatch: ['CapacityError: Unable to provision requested ML compute capacity.'],
    },
  },
  {
    kind: 'not-permission',
    id: 'service-internal-error',
    summary: 'SageMaker had an internal error',
    explanation: 'Internal and transient service errors are retried; no policy change helps.',
    patterns: [
      /InternalServerError/,
      /We encountered an internal error/,
      /\bInternalFailure\b/,
      /\bServiceUnavailable\b/,
    ],
    category: NON_PERMISSION_CATEGORIES.serviceError,
    examples: {
      match: ['InternalServerError: We encountered an internal error. Please try again.'],
      noMatch: ['ClientError: Data download failed:(AccessDenied: Access Denied)'],
    },
  },
  {
    kind: 'not-permission',
    id: 'throttling',
    summary: 'An AWS API throttled the request',
    explanation: 'Throttling is retried with backoff or handled with a quota increase, not an IAM change.',
    patterns: [/ThrottlingException/, /Rate exceeded/, /\bSlowDown\b/, /TooManyRequestsException/],
    category: NON_PERMISSION_CATEGORIES.quota,
    examples: {
      match: [
        'ClientError: An error occurred (ThrottlingException) when calling the DescribeTrainingJob operation (reached max retries: 4): Rate exceeded',
      ],
      noMatch: ['ResourceLimitExceeded: The account-level service limit'],
    },
  },
  {
    kind: 'not-permission',
    id: 'missing-s3-data',
    summary: 'The S3 object or bucket does not exist',
    explanation:
      'NoSuchKey and NoSuchBucket come back only when the caller may list the bucket: access worked.',
    patterns: [
      /NoSuchKey/,
      /NoSuchBucket/,
      /Please ensure that the S3 path exists/,
      /The specified (?:key|bucket) does not exist/,
      /Could not find model data/,
    ],
    category: NON_PERMISSION_CATEGORIES.missingData,
    examples: {
      match: ['ClientError: Data download failed:NoSuchKey (404): The specified key does not exist.'],
      noMatch: ['ClientError: Data download failed:(AccessDenied: Access Denied)'],
    },
  },
  {
    kind: 'not-permission',
    id: 'image-not-found',
    summary: 'The container image or tag does not exist',
    explanation:
      'A 404 manifest means the registry answered and the image is missing: the pull was authorised.',
    patterns: [/manifest unknown/, /Requested image not found/, /API error \(404\)/],
    category: NON_PERMISSION_CATEGORIES.missingImage,
    examples: {
      match: [
        'API error (404): manifest for 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-gpu-py310-cu118-ubuntu20.04-sagemaker not found: manifest unknown: Requested image not found',
      ],
      noMatch: ['ClientError: Cannot pull algorithm container.'],
    },
  },
  {
    kind: 'not-permission',
    id: 'vpc-route-to-s3',
    summary: 'The VPC has no network path to S3',
    explanation: 'Missing S3 gateway endpoint, NAT, security group or NACL rule: a network fix, not IAM.',
    patterns: [
      /route table has a route to an S3 VPC endpoint or a NAT device/,
      /Could not connect to the endpoint URL/,
    ],
    category: NON_PERMISSION_CATEGORIES.network,
    examples: {
      match: [
        "ClientError: Data download failed:Please ensure that the subnet's route table has a route to an S3 VPC endpoint or a NAT device, and both the security groups and the subnet's network ACL allow outbound traffic to S3.",
      ],
      noMatch: ['ClientError: Data download failed:(AccessDenied: Access Denied)'],
    },
  },
  {
    kind: 'not-permission',
    id: 'aws-credentials-invalid',
    summary: 'The AWS credentials were expired or malformed',
    explanation: 'Expired tokens and bad signatures fail before authorisation; no policy change helps.',
    patterns: [
      /ExpiredToken/,
      /SignatureDoesNotMatch/,
      /InvalidAccessKeyId/,
      /InvalidClientTokenId/,
      /UnrecognizedClientException/,
      /RequestExpired/,
      /NoCredentialsError|Unable to locate credentials/,
    ],
    category: NON_PERMISSION_CATEGORIES.credentials,
    examples: {
      match: [
        'botocore.exceptions.ClientError: An error occurred (ExpiredToken) when calling the GetObject operation: The provided token has expired.',
      ],
      noMatch: ['An error occurred (AccessDenied) when calling the GetObject operation: Access Denied'],
    },
  },
  {
    kind: 'not-permission',
    id: 'local-filesystem',
    summary: 'A file or directory inside the container or file system is missing or not writable',
    explanation: 'POSIX errors (ENOENT, EACCES) come from the file system, not from IAM.',
    patterns: [/No such file or directory/, /\[Errno 13\] Permission denied/, /Unable to mount file system/],
    category: NON_PERMISSION_CATEGORIES.localFilesystem,
    examples: {
      match: [
        "PermissionError: [Errno 13] Permission denied: '/opt/ml/model/model.pth'",
        'ClientError: Unable to mount file system: fs-0337a79e, directory path: /efs/mtk. No such file or directory: /efs/mtk.',
      ],
      noMatch: ['AccessDenied: Access Denied'],
    },
  },
  {
    kind: 'not-permission',
    id: 'external-service-auth',
    summary: 'A non-AWS service refused the request',
    explanation: 'Hugging Face, pip indexes and other HTTP services answer 401/403 for their own tokens.',
    patterns: [/\b40[13] Client Error: \w+ for url: https?:\/\/(?!\S*amazonaws\.com)/, /GatedRepoError/],
    category: NON_PERMISSION_CATEGORIES.externalService,
    examples: {
      match: [
        '401 Client Error: Unauthorized for url: https://huggingface.co/api/models/meta-llama/Llama-2-7b-hf',
      ],
      noMatch: ['An error occurred (403) when calling the HeadObject operation: Forbidden'],
    },
  },
  {
    kind: 'not-permission',
    id: 'request-validation',
    summary: 'The job request or its data layout is invalid',
    explanation:
      'Validation errors name a configuration to change; the caller had permission to make the call.',
    patterns: [
      /ValidationException/,
      /partial S3 prefix is not supported/,
      /No debugging data was saved/,
      /hyperparameter/i,
    ],
    category: NON_PERMISSION_CATEGORIES.validation,
    examples: {
      match: [
        'ClientError: An error occurred (ValidationException) when calling the CreateTrainingJob operation: TrainingImageConfig with TrainingRepositoryAccessMode set to VPC must be provided when using a training image from a private Docker registry.',
      ],
      noMatch: ['AlgorithmError: framework error'],
    },
  },
  {
    kind: 'not-permission',
    id: 'user-code-error',
    summary: 'The training script failed',
    explanation: 'A traceback or a non-zero exit of the user script with no AWS access error in it.',
    patterns: [
      /ExecuteUserScriptError/,
      /framework error/,
      /Traceback \(most recent call last\)/,
      /AlgorithmError/,
    ],
    category: NON_PERMISSION_CATEGORIES.userCode,
    examples: {
      match: [
        'AlgorithmError: ExecuteUserScriptError: Command "/bin/sh -c ./run_training.sh --model_dir /opt/training --num_train_steps 1000"',
      ],
      noMatch: ['CapacityError: Unable to provision requested ML compute capacity.'],
    },
  },
];

export const CATALOG: readonly CatalogRule[] = [...PERMISSION_RULES, ...NON_PERMISSION_RULES];
