/** Alert rules (shared/model/alert-rule.ts): what parses to what, one-line reasons, metric values. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { alertMetricValue, parseAlertRule, ruleHolds } from '../../../shared/model/alert-rule.ts';
import { bucketOf } from '../../../shared/model/histogram.ts';

function rule(text: string) {
  const r = parseAlertRule(text);
  assert.ok(r.ok, `${text}: ${r.ok ? '' : r.message}`);
  return r.rule;
}

test('the issue\'s rules and their canonical text', () => {
  assert.deepEqual(rule('loss>5% for 5m'), { metric: 'loss', op: '>', threshold: 5, windowMs: 300_000, text: 'loss>5% for 5m' });
  assert.deepEqual(rule('p95>50ms for 10m'), { metric: 'p95', op: '>', threshold: 50, windowMs: 600_000, text: 'p95>50ms for 10m' });
  assert.equal(rule(' P99 >= 0.5s for 1h ').text, 'p99>=500ms for 1h');
  assert.equal(rule('avg<200us for 90s').threshold, 0.2);
  assert.equal(rule('avg<200us for 90s').windowMs, 120_000, 'windows are whole minutes, rounded up');
  assert.equal(rule('max>100').windowMs, 300_000, 'default window 5 minutes');
  assert.equal(rule('min<=3 for 600').windowMs, 600_000, 'a bare window is seconds');
  assert.equal(rule('loss>5 for 5m').threshold, 5, 'loss may leave out the %');
});

test('bad rules get one line naming what is wrong and an example', () => {
  const reason = (text: string) => {
    const r = parseAlertRule(text);
    assert.ok(!r.ok, text);
    assert.ok(!r.message.includes('\n'));
    assert.match(r.message, /e\.g\. 'loss>5% for 5m'/);
    return r.message;
  };
  assert.match(reason('jitter>5ms for 5m'), /unknown metric jitter; one of loss, p50, p95, p99, avg, min, max/);
  assert.match(reason('loss>5ms'), /loss is a percentage/);
  assert.match(reason('p95>5%'), /p95 is a latency/);
  assert.match(reason('loss>150%'), /at most 100%/);
  assert.match(reason('p95>2m'), /expected METRIC>VALUE/);
  assert.match(reason('p95>61s'), /at most 60s/);
  assert.match(reason('loss>5% for 2d'), /the window is 1m to 1d/);
  assert.match(reason('loss>5% for soon'), /window soon is not a duration/);
  assert.match(reason('loss > 5% when it rains'), /expected METRIC>VALUE/);
  assert.match(reason('x'.repeat(100)), /longer than 80 characters/);
});

test('metric values over a window: loss %, quantiles from the histogram, avg, min, max', () => {
  const hist: [number, number][] = [[bucketOf(1), 90], [bucketOf(40), 5], [bucketOf(100), 5]];
  const w = { sent: 200, received: 100, min: 0.9, max: 99, sum: 100 * 3, hist };
  assert.equal(alertMetricValue('loss', w), 50);
  assert.equal(alertMetricValue('p50', w), 1);
  assert.ok(Math.abs(alertMetricValue('p95', w)! - 2 ** (bucketOf(40) / 10)) < 1e-9);
  assert.ok(Math.abs(alertMetricValue('p99', w)! - 2 ** (bucketOf(100) / 10)) < 1e-9);
  assert.equal(alertMetricValue('avg', w), 3);
  assert.equal(alertMetricValue('min', w), 0.9);
  assert.equal(alertMetricValue('max', w), 99);
  assert.equal(alertMetricValue('loss', { ...w, sent: 0, received: 0 }), null);
  assert.equal(alertMetricValue('p95', { ...w, received: 0, hist: [] }), null);
  assert.equal(ruleHolds(rule('loss>5%'), 50), true);
  assert.equal(ruleHolds(rule('loss>5%'), 5), false);
  assert.equal(ruleHolds(rule('loss>=5%'), 5), true);
  assert.equal(ruleHolds(rule('avg<1ms'), null), false, 'no value never holds');
});
