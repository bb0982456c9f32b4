/**
 * cdk-nag prints the stack's partition, region and account tokens as `<AWS::Partition>` and so on;
 * acknowledgements must use the same spelling.
 */
const nagSpelling = (text: string): string =>
  text.replace(
    /\$\{Token\[AWS\.(Partition|Region|AccountId)\.\d+\]\}/g,
    (_match, name: string) => `<AWS::${name}>`,
  );

/** The id that acknowledges one IAM5 wildcard finding, e.g. `Resource::arn:...:role/*`. */
export const iam5Finding = (finding: string): string =>
  `AwsSolutions::AwsSolutions-IAM5[${nagSpelling(finding)}]`;
