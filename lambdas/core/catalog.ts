/**
 * The rule catalog: which failure texts mean what. Data, not code: a rule is one entry with an id,
 * its patterns, what it implies, and the real messages it must and must not match. Adding a rule is
 * one entry here; `test/unit/catalog.test.ts` runs every example through the whole diagnosis.
 *
 * Rules read the normal form of a text (normalise.ts: single spaces, straight quotes, masked accounts
 * emptied). The generic reader (access-denied.ts) finds every denial that names an action; rules add
 * what the wording tells on top of it. Permission rules name the channel a SageMaker wording points
 * at (`Data download failed` is input data), the actions it implies when the text names none, the
 * companions granted with a named one, and the causes in order. Non-permission rules explain why a
 * text is not a permission problem; they only apply when no denial in the text names an action.
 *
 * One ordered list, {@link CATALOG}: the first rule that matches wins, whatever its kind. Look-alikes
 * that carry denial words but are no IAM gap come first (a text that says the bucket is in another
 * region rules out the download denial it also reports); specific wordings next, then the generic
 * permission rules; the other non-permission rules come last.
 */
import type { Certainty, Channel, FixLocation, NonPermissionCategory } from './types.js';
import { ECR_PULL_ACTIONS } from './actions.js';
import { CHANNELS, FIX_LOCATIONS, NON_PERMISSION_CATEGORIES } from './types.js';

/**
 * One phrase, then another starting at most `within` characters after its end: what the pattern
 * `first[^]{0,within}?then` matches, read in one pass. As a pattern, every occurrence of `first`
 * reads up to `within` characters: a text repeating `first` cost `within` times its length.
 */
export interface PhrasesWithin {
  readonly first: RegExp;
  readonly then: RegExp;
  readonly within: number;
}

/** What a rule reads a text with. */
export type TextPattern = RegExp | PhrasesWithin;

/** Where a pattern first matches a text, and the text it matched. */
export interface TextMatch {
  readonly index: number;
  readonly text: string;
}

/** Adds a flag to a pattern's flags (the catalog's patterns carry no `g` or `y`). */
// eslint-disable-next-line no-restricted-syntax -- the same catalog pattern, already checked, with a search flag
const withFlag = (pattern: RegExp, flag: 'g' | 'y'): RegExp => new RegExp(pattern, `${pattern.flags}${flag}`);

/**
 * The leftmost match of {@link PhrasesWithin}, as the backtracking pattern finds it: the first
 * occurrence of `first` followed by `then` in time, up to the nearest `then`. The nearest `then`
 * after an occurrence is searched for only past the last one found, and an occurrence that ends
 * before the last search started (a shorter alternative) checks only the few positions between.
 */
function phrasesWithinIn({ first, then, within }: PhrasesWithin, text: string): TextMatch | undefined {
  const firsts = withFlag(first, 'g');
  const thens = withFlag(then, 'g');
  const thenAt = withFlag(then, 'y');
  let searchedFrom = -1;
  let nearest: RegExpExecArray | null = null;
  const nearestThenFrom = (end: number): RegExpExecArray | null => {
    if (searchedFrom < 0 || (nearest !== null && nearest.index < end)) {
      thens.lastIndex = end;
      nearest = thens.exec(text);
      searchedFrom = end;
    }
    for (let at = end; at < searchedFrom; at++) {
      thenAt.lastIndex = at;
      const found = thenAt.exec(text);
      if (found) {
        nearest = found;
        break;
      }
    }
    searchedFrom = Math.min(searchedFrom, end);
    return nearest;
  };
  for (let match = firsts.exec(text); match; match = firsts.exec(text)) {
    const end = match.index + match[0].length;
    const next = nearestThenFrom(end);
    if (!next) return undefined;
    if (next.index - end <= within) {
      return { index: match.index, text: text.slice(match.index, next.index + next[0].length) };
    }
    firsts.lastIndex = match.index + 1;
  }
  return undefined;
}

/** Where a rule's pattern first matches a text. */
export function matchIn(pattern: TextPattern, text: string): TextMatch | undefined {
  if (!(pattern instanceof RegExp)) return phrasesWithinIn(pattern, text);
  const match = pattern.exec(text);
  return match ? { index: match.index, text: match[0] } : undefined;
}

interface RuleBase {
  readonly id: string;
  /** Why the rule fired, in one line a reader of the proposal understands. */
  readonly summary: string;
  /** Why the rule exists: what produces this text. */
  readonly explanation: string;
  /**
   * Any match selects the rule. Keep them linear (test/unit/recheck.test.ts, linear-time.test.ts):
   * no nested quantifiers; a gap of more than 200 characters between two phrases is a
   * {@link PhrasesWithin}.
   */
  readonly patterns: readonly TextPattern[];
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
   * The cause when the resource lives in another account than the principal or the job: ranked
   * first with that evidence (the other account's resource policy must allow the role), else last.
   */
  readonly foreignResourceCause?: string;
  /**
   * Actions granted together: when a denial names one of them, the fix grants them all (unless the
   * deny is explicit or lives outside the identity policy). Overrides the channel's companions.
   */
  readonly companions?: readonly string[];
  /**
   * The service principal the text says a resource policy omits (`does not grant ... permission to
   * sagemaker.amazonaws.com service principal`): the resource policy statement is for it, not the role.
   */
  readonly servicePrincipal?: string;
}

export interface NonPermissionRule extends RuleBase {
  readonly kind: 'not-permission';
  readonly category: NonPermissionCategory;
  /**
   * True for a look-alike: its wording rules out an IAM gap even beside a denial code, so it wins
   * over an action only inferred from the call or SDK operation that failed.
   */
  readonly rulesOutDenial?: boolean;
}

export type CatalogRule = PermissionRule | NonPermissionRule;

/** Denial words, in any casing (rules that use it carry the `i` flag). */
const DENIED = String.raw`(?:Access ?Denied|\(403\)|403 Forbidden|not authorized to perform)`;

/** What uploading to an SSE-KMS location by multipart takes (AWS S3 docs): S3 reads the data key back. */
const KMS_UPLOAD_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'] as const;

/** The cause ranked first when the image lives in another account than the job or the role. */
const FOREIGN_REPOSITORY =
  'the repository is in another account and its repository policy does not allow this role';

/** Specific permission wordings: each names a channel. */
const SPECIFIC_PERMISSION_RULES: readonly PermissionRule[] = [
  {
    kind: 'permission',
    id: 'kms-ciphertext-key-unusable',
    summary: 'KMS could not decrypt with the key the data was encrypted with',
    explanation:
      'KMS answers the same text when the key is not allowed to the role (key policy or identity policy) ' +
      'and when the ciphertext names a key that is deleted, in another region or wrong: two causes.',
    patterns: [/ciphertext refers to a customer master key that does not exist/i],
    channel: CHANNELS.kms,
    actions: ['kms:Decrypt'],
    certainty: 'possible',
    causes: [
      "the key policy or the role's identity policy does not allow kms:Decrypt on the key",
      'the data was encrypted with a key that was deleted, is disabled, or lives in another region',
    ],
    foreignResourceCause: 'the key is in another account and its key policy does not allow this role',
    examples: {
      match: [
        'ClientError: Data download failed:Unable to download object s3://bucket/x.csv (KMS.AccessDeniedException: The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.)',
        'botocore.exceptions.ClientError: An error occurred (AccessDeniedException) when calling the Decrypt operation: The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.',
      ],
      noMatch: ['ClientError: KMS key alias/foo was created.'],
    },
  },
  {
    kind: 'permission',
    id: 's3-upload-kms-denied',
    summary: 'An upload to an SSE-KMS location was denied the KMS key',
    explanation:
      'S3 encrypts each part of a multipart upload with a data key from kms:GenerateDataKey and reads it ' +
      'back with kms:Decrypt to complete the upload: a role with only one of them fails again on the other.',
    patterns: [
      {
        first: /upload|PutObject|MultipartUpload|UploadPart/i,
        then: /kms:(?:GenerateDataKey|Decrypt)\b/i,
        within: 600,
      },
    ],
    channel: CHANNELS.kms,
    actions: KMS_UPLOAD_ACTIONS,
    companions: KMS_UPLOAD_ACTIONS,
    certainty: 'certain',
    examples: {
      match: [
        'ClientError: An error occurred (AccessDenied) when calling the CreateMultipartUpload operation: User: arn:aws:sts::111122223333:assumed-role/SageMakerExecRole/SageMaker is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321 because no identity-based policy allows the kms:GenerateDataKey action',
      ],
      noMatch: [
        'An error occurred (AccessDeniedException) when calling the Decrypt operation: User: arn:aws:sts::111122223333:assumed-role/R/SageMaker is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/k',
      ],
    },
  },
  {
    kind: 'permission',
    id: 'kms-key-inaccessible',
    summary: 'SageMaker could not use a KMS key of the job',
    explanation:
      'Volume, output and input encryption keys are used with the execution role; the key policy or the ' +
      'role must allow it.',
    patterns: [
      /KMS key .{0,100}?(?:not accessible|is not authorized|access denied)/is,
      /\b(?:(?:does|do) ?n[o']t have access to|(?:unable to|cannot|could not) (?:access|use)) (?:the )?(?:AWS )?KMS key\b/i,
      /KMS\.AccessDeniedException/i,
    ],
    channel: CHANNELS.kms,
    actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
    certainty: 'certain',
    foreignResourceCause: 'the key is in another account and its key policy does not allow this role',
    examples: {
      match: [
        'ClientError: Data download failed:Unable to download object s3://bucket/x.csv (KMS.AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/R/SageMaker is not authorized to perform: kms:Decrypt)',
        'ClientError: The KMS key arn:aws:kms:us-east-1:111122223333:key/k provided for the volume is not accessible.',
        "ClientError: Failed to create the endpoint: The role 'arn:aws:iam::111122223333:role/R' does not have access to the KMS key arn:aws:kms:us-east-1:111122223333:key/k.",
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
      {
        first: /Data download failed|Failed to download|Unable to download|Error downloading/i,
        then: new RegExp(DENIED, 'i'),
        within: 400,
      },
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
      {
        first: /Artifact upload failed|Failed to upload|Unable to upload|Error uploading/i,
        then: new RegExp(DENIED, 'i'),
        within: 400,
      },
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
    id: 'ecr-repository-policy-omits-service-principal',
    summary: "The image's repository policy does not let SageMaker pull it",
    explanation:
      'Endpoints and jobs that pull an image from another account (AWS Deep Learning Containers, a ' +
      "shared registry) are checked against the repository's own policy: it must allow the service " +
      'principal the pull actions. The role cannot fix it; the repository owner must.',
    patterns: [
      /\brepository of your image .{0,300}?\bdoes not grant .{0,300}?\bservice principal\b/is,
      /\brepository policy\b.{0,200}?\bdoes not (?:grant|allow)\b.{0,200}?\bsagemaker\.amazonaws\.com\b/is,
    ],
    channel: CHANNELS.ecrImage,
    actions: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
    certainty: 'certain',
    fixLocation: FIX_LOCATIONS.resourcePolicy,
    servicePrincipal: 'sagemaker.amazonaws.com',
    causes: ['the repository policy does not allow sagemaker.amazonaws.com the pull actions'],
    examples: {
      match: [
        'ValidationException\nThe repository of your image 007439368137.dkr.ecr.eu-west-2.amazonaws.com/sagemaker-tritonserver:25.09-py3 does not grant ecr:GetDownloadUrlForLayer, ecr:BatchGetImage, ecr:BatchCheckLayerAvailability permission to sagemaker.amazonaws.com service principal.',
      ],
      noMatch: [
        'ClientError: The repository of your image 111122223333.dkr.ecr.us-east-1.amazonaws.com/trainer:1 does not exist.',
      ],
    },
  },
  {
    kind: 'permission',
    id: 's3-object-access-denied-for-bucket',
    summary: 'SageMaker was denied reading an S3 object it names',
    explanation:
      'A pipeline step that registers a model package (and other validations) reads the model artifact ' +
      'with the role and reports the bucket and key it was denied: s3:GetObject on that object.',
    patterns: [/\bAccess denied for bucket:? \S+,? (?:object )?key\b/i],
    channel: CHANNELS.modelData,
    actions: ['s3:GetObject'],
    companions: ['s3:GetObject'],
    certainty: 'certain',
    examples: {
      match: [
        'Failed to invoke sagemaker:CreateModelPackage. Error Details: Access denied for bucket: physical-ai-dev-trust-<acct>, object key: artifacts/v1/sha256/<digest>/model.tar.gz',
      ],
      noMatch: ['Failed to invoke sagemaker:CreateModelPackage. Error Details: Access denied.'],
    },
  },
  {
    kind: 'permission',
    id: 'ecr-cannot-pull-container',
    summary: 'SageMaker could not pull the training image',
    explanation:
      'SageMaker pulls the image with the execution role. The message cannot tell a missing image or tag ' +
      'from missing ECR permissions or a repository policy in another account.',
    patterns: [/Cannot pull algorithm container/i],
    channel: CHANNELS.ecrImage,
    actions: ECR_PULL_ACTIONS,
    certainty: 'possible',
    causes: [
      'the image or tag does not exist in the repository (check the URI and region)',
      'the execution role lacks the ECR pull actions on the repository',
    ],
    foreignResourceCause: FOREIGN_REPOSITORY,
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
    ],
    foreignResourceCause: FOREIGN_REPOSITORY,
    examples: {
      match: [
        'ClientError: Access denied for repository: custom-trainer in registry ID: 111122223333. Please check if your ECR repository and image exist and role arn:aws:iam::111122223333:role/SageMakerExecRole has proper pull permissions for SageMaker: ecr:BatchCheckLayerAvailability, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer',
      ],
      noMatch: ['ClientError: Repository custom-trainer does not exist in registry 111122223333'],
    },
  },
  {
    kind: 'permission',
    id: 'ecr-role-lacks-image-permission',
    summary: 'The role may not pull the image of a model',
    explanation:
      'Endpoint creation checks each image with the model execution role and names the pull action it ' +
      'lacks; a repository in another account must also allow the role in its repository policy.',
    patterns: [/\bdoes not have \S+ permissions? for the image\b/i],
    channel: CHANNELS.ecrImage,
    actions: ECR_PULL_ACTIONS,
    certainty: 'certain',
    causes: ["the role's identity policy does not allow the ECR pull actions on the image's repository"],
    foreignResourceCause: FOREIGN_REPOSITORY,
    examples: {
      match: [
        "UnexpectedStatusException: Error hosting endpoint ep-1: Failed. Reason: The role 'arn:aws:iam::111122223333:role/MyRole' does not have BatchGetImage permission for the image: '444455556666.dkr.ecr.eu-west-1.amazonaws.com/private-serving:1.0'.",
      ],
      noMatch: [
        "The role 'arn:aws:iam::111122223333:role/MyRole' does not have permission to create the endpoint.",
      ],
    },
  },
  {
    kind: 'permission',
    id: 'ecr-model-images-inaccessible',
    summary: 'SageMaker could not access the model container images',
    explanation:
      'Endpoint creation checks every container image of every production variant with the role the ' +
      'model was created with; a missing image and missing permissions give the same text.',
    patterns: [/Please make sure all images included in the model .{0,200}?has permissions to access them/is],
    channel: CHANNELS.ecrImage,
    actions: ECR_PULL_ACTIONS,
    certainty: 'possible',
    causes: [
      'an image of the model does not exist (check each container URI and tag)',
      'the model execution role lacks the ECR pull actions on the repository',
    ],
    foreignResourceCause: FOREIGN_REPOSITORY,
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
    patterns: [/No S3 objects found under S3 URL/i],
    channel: CHANNELS.inputData,
    actions: ['s3:ListBucket'],
    // Listing is all this check does: the objects' reads are not in question.
    companions: ['s3:ListBucket'],
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
    patterns: [/Could not access model data/i],
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
    patterns: [
      /Could not assume (?:role|provided IAM role)/i,
      /allows principal 'sagemaker\.amazonaws\.com'/i,
    ],
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
    summary: 'A service or identity could not assume a role',
    explanation:
      "Whatever the wording, a principal that cannot assume a role is refused by the role's trust policy, " +
      'or the role ARN is wrong (a missing path, another account) or the role does not exist.',
    patterns: [
      /\b(?:unable to|could not|couldn't|cannot|can't|failed to|not able to|not allowed to|not authorized to) assume (?:the |this |your |an? |provided )?(?:IAM |execution |service )?role/i,
      /\btrust relationship\b.{0,120}?\bassume the role\b/i,
      /\b(?:cannot|can't|could not|couldn't) be assumed\b/i,
    ],
    channel: CHANNELS.trust,
    actions: ['sts:AssumeRole'],
    certainty: 'possible',
    fixLocation: FIX_LOCATIONS.trustPolicy,
    causes: [
      'the role ARN is wrong (a missing path such as service-role/, another account) or the role does not exist',
      'the trust policy does not allow the service or principal to assume the role',
    ],
    examples: {
      match: [
        "ClientError: SageMaker was unable to assume the role 'arn:aws:iam::<ACCOUNT>:role/AmazonSageMaker-ExecutionRole-20180114T073202'",
        "ClientError: TrainingHostAgent Initialization failed:InvalidInputException: SageMaker is unable to perform: sts:AssumeRole on the role. Check if you have a trust relationship for 'sagemaker.amazonaws.com' to assume the role.",
        'ValidationException: Failed to assume role arn:aws:iam::111122223333:role/PipelineRole. Please check the trust relationship of the role.',
        'ClientError: Role arn:aws:iam::111122223333:role/TrainRole cannot be assumed by sagemaker.amazonaws.com.',
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
    patterns: [/pipeline execution role does not have sufficient permissions/i],
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
];

/**
 * Texts with denial words that are no IAM gap of the role: checked before the permission rules,
 * which their words would otherwise match.
 */
const LOOK_ALIKE_RULES: readonly NonPermissionRule[] = [
  {
    kind: 'not-permission',
    id: 'studio-user-not-assigned',
    summary: 'The Studio user is not assigned to the domain or its IAM Identity Center application',
    explanation:
      'Studio answers "Access Denied" when an IAM Identity Center user is not assigned to the domain or ' +
      "the SSO application is inactive: an assignment in Identity Center, not a role's policy.",
    patterns: [
      /\buser is (?:not )?assigned to (?:the )?(?:Studio )?Domain\b/i,
      /\bSSO Application\b.{0,120}?\bis (?:not )?Active\b/i,
    ],
    category: NON_PERMISSION_CATEGORIES.identityCenterAssignment,
    rulesOutDenial: true,
    examples: {
      match: [
        'Access Denied. Please check if user is assigned to Studio Domain [d-abc123] and SSO Application [Amazon SageMaker Studio (d-abc123)] is Active.',
      ],
      noMatch: [
        'AccessDeniedException: User is not authorized to perform: sagemaker:CreatePresignedDomainUrl',
      ],
    },
  },
  {
    kind: 'not-permission',
    id: 's3-bucket-in-another-region',
    summary: 'The bucket is in another region than the request',
    explanation:
      'S3 answers a request sent to the wrong region with a redirect or a malformed-authorization error, ' +
      'and SageMaker refuses a bucket outside its region: a region to change, not a permission to grant.',
    patterns: [
      /\bis in region .{1,60}? which is different from\b/i,
      /\bbucket is in this region\b/i,
      /\bthe region '[a-z0-9-]+' is wrong; expecting '[a-z0-9-]+'/i,
      /\bmust be addressed using the specified endpoint\b/i,
      /\bPermanentRedirect\b/i,
      /\bbucket\b.{0,120}?\b(?:is|located) in (?:a different|another) region\b/is,
    ],
    category: NON_PERMISSION_CATEGORIES.validation,
    rulesOutDenial: true,
    examples: {
      match: [
        'ClientError: InputConfiguration: Bucket <bucket name> is in region <region name> which is different from AWS Sagemaker service region <service region>',
        "botocore.exceptions.ClientError: An error occurred (AuthorizationHeaderMalformed) when calling the GetObject operation: The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'",
        'An error occurred (PermanentRedirect) when calling the ListObjects operation: The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.',
      ],
      noMatch: ['An error occurred (AccessDenied) when calling the ListObjectsV2 operation: Access Denied'],
    },
  },
];

/** Permission wordings that name no channel: the action comes from the denial the reader found. */
const GENERIC_PERMISSION_RULES: readonly PermissionRule[] = [
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
      /Status Code: 403; Error Code: AccessDenied/i,
      /not authorized to perform/i,
      /\b(?:is|are) not (?:authorized|permitted) to\b/i,
      /Encoded authorization failure message/i,
      /when calling the \w+ operation: Forbidden/i,
    ],
    channel: CHANNELS.namedAction,
    actions: [],
    certainty: 'certain',
    examples: {
      match: [
        'ClientError: An error occurred (403) when calling the HeadObject operation: Forbidden',
        'com.amazonaws.services.s3.model.AmazonS3Exception: Access Denied (Service: Amazon S3; Status Code: 403; Error Code: AccessDenied; Request ID: 0123456789ABCDEF)',
        'You are not authorized to perform this operation. Encoded authorization failure message: 4X1VmMjXO',
        'User: arn:aws:sts::111122223333:assumed-role/SageMakerExecRole/SageMaker is not authorized to access this resource',
      ],
      noMatch: [
        "PermissionError: [Errno 13] Permission denied: '/opt/ml/model/model.pth'",
        '401 Client Error: Unauthorized for url: https://huggingface.co/api/models/meta-llama/Llama-2-7b-hf',
      ],
    },
  },
];

/** Non-permission rules: they say why a text without any AccessDenied statement is something else. */
const OTHER_NON_PERMISSION_RULES: readonly NonPermissionRule[] = [
  {
    kind: 'not-permission',
    id: 'out-of-memory',
    summary: 'The container ran out of memory',
    explanation: 'Exit code 137 is the kernel OOM killer; the fix is a larger instance or smaller batches.',
    patterns: [
      /instance type with more memory/i,
      /\bexit (?:code|status):? ?137\b/i,
      /\bOOMKilled\b/i,
      /out of memory/i,
      /OutOfMemoryError/i,
      /MemoryError/i,
    ],
    category: NON_PERMISSION_CATEGORIES.outOfMemory,
    examples: {
      match: [
        'AlgorithmError: Please use an instance type with more memory, or reduce the size of training data processed on an instance. Exit Code: 137',
        'AlgorithmError: ExecuteUserScriptError: ExitCode 1 ErrorMessage "" Command "/usr/local/bin/python3.9 train.py", exit code: 137',
      ],
      noMatch: ['ClientError: Data download failed', 'AlgorithmError: Exit Code: 139'],
    },
  },
  {
    kind: 'not-permission',
    id: 'capacity',
    summary: 'No ML capacity was available',
    explanation: 'Capacity errors are retried later or with another instance type; no policy change helps.',
    patterns: [
      /CapacityError/i,
      /InsufficientCapacity/i,
      /Unable to provision requested ML compute capacity/i,
    ],
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
    patterns: [/ResourceLimitExceeded/i, /account-level service limit/i],
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
      /InternalServerError/i,
      /We encountered an internal error/i,
      /\bInternalFailure\b/i,
      /\bServiceUnavailable\b/i,
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
    patterns: [/ThrottlingException/i, /Rate exceeded/i, /\bSlowDown\b/i, /TooManyRequestsException/i],
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
      /NoSuchKey/i,
      /NoSuchBucket/i,
      /Please ensure that the S3 path exists/i,
      /The specified (?:key|bucket) does not exist/i,
      /Could not find model data/i,
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
    patterns: [/manifest unknown/i, /Requested image not found/i, /API error \(404\)/i],
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
      /route table has a route to an S3 VPC endpoint or a NAT device/i,
      /Could not connect to the endpoint URL/i,
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
      /ExpiredToken/i,
      /SignatureDoesNotMatch/i,
      /InvalidAccessKeyId/i,
      /InvalidClientTokenId/i,
      /UnrecognizedClientException/i,
      /RequestExpired/i,
      /NoCredentialsError|Unable to locate credentials/i,
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
    patterns: [
      /No such file or directory/i,
      /\[Errno 13\] Permission denied/i,
      /Unable to mount file system/i,
    ],
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
    patterns: [/\b40[13] Client Error: \w+ for url: https?:\/\/(?!\S*amazonaws\.com)/i, /GatedRepoError/i],
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
      /ValidationException/i,
      /partial S3 prefix is not supported/i,
      /No debugging data was saved/i,
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
      /ExecuteUserScriptError/i,
      /framework error/i,
      /Traceback \(most recent call last\)/i,
      /AlgorithmError/i,
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

/** The whole catalog in the order it is read: the first rule that matches wins. */
export const CATALOG: readonly CatalogRule[] = [
  ...LOOK_ALIKE_RULES,
  ...SPECIFIC_PERMISSION_RULES,
  ...GENERIC_PERMISSION_RULES,
  ...OTHER_NON_PERMISSION_RULES,
];

export const PERMISSION_RULES: readonly PermissionRule[] = CATALOG.filter(
  (rule): rule is PermissionRule => rule.kind === 'permission',
);
export const NON_PERMISSION_RULES: readonly NonPermissionRule[] = CATALOG.filter(
  (rule): rule is NonPermissionRule => rule.kind === 'not-permission',
);
