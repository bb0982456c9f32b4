import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { METRIC_WIDGET_TITLES } from '../../lib/dashboard.js';
import { RemediatorStack } from '../../lib/remediator-stack.js';
import { METRICS, METRICS_NAMESPACE, SERVICE_NAME } from '../../lambdas/remediator/metric-names.js';

const ENV = { account: '111122223333', region: 'us-east-1' };

interface Widget {
  readonly properties: { readonly title: string; readonly metrics: readonly unknown[][] };
}

/** The dashboard body as CloudWatch reads it, CloudFormation references written as `<Ref>`. */
function dashboardWidgets(dashboard: boolean | undefined): Widget[] {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const template = Template.fromStack(
    new RemediatorStack(app, 'Test', { env: ENV, remediator: { dashboard } }),
  );
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as {
    Properties: { DashboardBody: { 'Fn::Join': [string, unknown[]] } };
  }[];
  return dashboards.flatMap(({ Properties }) => {
    const body = Properties.DashboardBody['Fn::Join'][1]
      .map((part) => (typeof part === 'string' ? part : `<${JSON.stringify(part).replace(/"/g, '')}>`))
      .join('');
    return (JSON.parse(body) as { widgets: Widget[] }).widgets;
  });
}

// The first synth loads aws-cdk-lib, slow on a shared machine.
describe('the dashboard', { timeout: 120_000 }, () => {
  it('is there only when asked for', () => {
    expect(dashboardWidgets(undefined)).toEqual([]);
    expect(dashboardWidgets(true).length).toBeGreaterThan(0);
  });

  it('graphs every metric of the shared list, under its own name and dimension, and nothing else of ours', () => {
    // Act
    const widgets = dashboardWidgets(true);
    // Assess
    const ours = widgets.filter((widget) =>
      Object.values(METRIC_WIDGET_TITLES).includes(widget.properties.title),
    );
    const graphed = ours.map((widget) => ({
      title: widget.properties.title,
      metric: widget.properties.metrics[0],
    }));
    expect(graphed).toEqual(
      Object.entries(METRICS).map(([key, { name, dimension }]) => ({
        title: METRIC_WIDGET_TITLES[key as keyof typeof METRICS],
        metric: dimension
          ? [
              {
                expression: `SEARCH('{${METRICS_NAMESPACE},${dimension},service} MetricName="${name}" service="${SERVICE_NAME}"', 'Sum', 300)`,
              },
            ]
          : [
              METRICS_NAMESPACE,
              name,
              ...('fromLog' in METRICS[key as keyof typeof METRICS] ? [] : ['service', SERVICE_NAME]),
              expect.objectContaining(
                'gauge' in METRICS[key as keyof typeof METRICS]
                  ? { stat: 'Maximum', period: 86_400 }
                  : { stat: 'Sum' },
              ),
            ],
      })),
    );
  });

  it('shows the dead-letter queue depth and the function errors and duration', () => {
    const widgets = dashboardWidgets(true);
    const metricNames = (title: string) =>
      widgets
        .find((widget) => widget.properties.title === title)
        ?.properties.metrics.map((metric) => metric.slice(0, 2));
    expect(metricNames('Dead-letter queue depth')).toEqual([
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible'],
    ]);
    expect(metricNames('Function errors')).toEqual([['AWS/Lambda', 'Errors']]);
    expect(metricNames('Function duration')).toEqual([
      ['AWS/Lambda', 'Duration'],
      ['AWS/Lambda', 'Duration'],
    ]);
  });
});
