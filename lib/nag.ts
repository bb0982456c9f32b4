import * as events from 'aws-cdk-lib/aws-events';

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

/**
 * An event bus policy written with its `statement`, the property aws-cdk-lib keeps (the separate
 * `principal`, `action` and `condition` are deprecated). cdk-nag's AwsSolutions-EVB1 rule (no open
 * access to an event bus) reads the deprecated `principal` of every bus policy, and that read alone
 * makes aws-cdk-lib print a deprecation warning on every synth that runs cdk-nag. This policy answers
 * the read itself: it has no principal beside its statement, and the rule goes on to check the
 * statement, as it would without this.
 */
export class StatementEventBusPolicy extends events.CfnEventBusPolicy {
  public override get principal(): undefined {
    return undefined;
  }
}
