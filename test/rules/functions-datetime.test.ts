// Date and time functions (reference section 5.10). Local-time functions are checked with the
// process time zone set to UTC for the duration of the suite.

import { strict as assert } from 'node:assert';
import { call, failure } from './functions-call';

describe('rule date and time functions', () => {
  let savedTz: string | undefined;
  before(() => {
    savedTz = process.env.TZ;
    process.env.TZ = 'UTC';
  });
  after(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  it('give the current time in each unit', () => {
    const seconds = call('now_timestamp') as number;
    assert.ok(Math.abs(seconds - Date.now() / 1000) < 5);
    // Nanoseconds since 1970 are beyond 2^53: an exact integer (BigInt), as EMQX's are.
    const ns = call('now_timestamp', 'nanosecond') as bigint;
    assert.equal(typeof ns, 'bigint');
    assert.ok(Math.abs(Number(ns / 1000000000n) - seconds) < 5);
    const us = call('now_timestamp', 'microsecond') as number;
    assert.equal(typeof us, 'number', 'microseconds since 1970 are still below 2^53');
    assert.match(call('now_rfc3339', 'microsecond') as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    assert.match(failure('now_timestamp', 'minute').message, /expected one of 'second', 'millisecond', 'microsecond', 'nanosecond', got 'minute'/);
  });

  it('convert between Unix timestamps and RFC 3339', () => {
    assert.equal(call('unix_ts_to_rfc3339', 1708671600), '2024-02-23T07:00:00+00:00');
    assert.equal(call('unix_ts_to_rfc3339', 1708671600123, 'millisecond'), '2024-02-23T07:00:00.123+00:00');
    assert.equal(call('rfc3339_to_unix_ts', '2024-02-23T15:00:00+08:00'), 1708671600);
    assert.equal(call('rfc3339_to_unix_ts', '2024-02-23T07:00:00.123456789Z', 'nanosecond'), 1708671600123456789n);
    assert.equal(call('unix_ts_to_rfc3339', 1708671600123456789n, 'nanosecond'), '2024-02-23T07:00:00.123456789+00:00');
    assert.equal(call('format_date', 'nanosecond', 'Z', '%Y-%m-%d %H:%M:%S.%N', 1708671600123456789n), '2024-02-23 07:00:00.123456789');
    assert.equal(call('date_to_unix_ts', 'nanosecond', '%Y-%m-%d %H:%M:%S.%N', '2024-02-23 07:00:00.123456789'), 1708671600123456789n);
    assert.match(failure('rfc3339_to_unix_ts', '2024-02-23').message, /not an RFC 3339 date-time/);
    assert.equal(failure('unix_ts_to_rfc3339', 1.5).message, 'unix_ts_to_rfc3339(): expected an integer, got float');
  });

  it('parse every offset form', () => {
    assert.equal(call('timezone_to_offset_seconds', '-05:30'), -19800);
    assert.equal(call('timezone_to_offset_seconds', '+0130'), 5400);
    assert.equal(call('timezone_to_offset_seconds', 'local'), 0);
    assert.equal(call('timezone_to_offset_seconds', 3600), 3600);
    assert.match(failure('timezone_to_offset_seconds', '+08').message, /bad time offset "\+08"/);
    assert.match(failure('timezone_to_offset_seconds', '+24:00').message, /bad time offset/);
  });

  it('format dates with every placeholder', () => {
    const ts = 1700000000123456;
    assert.equal(call('format_date', 'microsecond', '-03:30', '%Y/%m/%d %H.%M.%S %N %6N %3N %z %:z %::z', ts),
      '2023/11/14 18.43.20 123456000 123456 123 -0330 -03:30 -03:30:00');
    assert.equal(call('format_date', 'second', 'Z', '%Y-%m-%dT%H:%M:%S', -1), '1969-12-31T23:59:59');
    assert.equal(call('format_date', 'millisecond', 3600, '%H:%M', 0), '01:00');
  });

  it('parse dates by fixed widths, not checking separators', () => {
    assert.equal(call('date_to_unix_ts', 'second', '%Y-%m-%d %H-%M-%S', '2022-05-26 10:40:12'), 1653561612);
    assert.equal(call('date_to_unix_ts', 'millisecond', '%Y%m%d%H%M%S%3N', '20220526104012345'), 1653561612345);
    assert.equal(call('date_to_unix_ts', 'second', '%Y-%m-%d %H:%M:%S%z', '2022-05-26 10:40:12+0200'), 1653554412);
    assert.equal(call('date_to_unix_ts', 'second', '%Y-%m-%d %H:%M:%S.%3N', '2022-05-26 10:40:12.999'), 1653561612,
      'a finer part is rounded down to the unit');
    assert.match(failure('date_to_unix_ts', 'second', '%Y-%m-%d', '2022-05-26').message, /missing_date_part: hour/);
    assert.match(failure('date_to_unix_ts', 'second', '%Y-%m-%d %H:%M:%S', '2022-02-30 00:00:00').message, /bad date/);
    assert.match(failure('date_to_unix_ts', 'second', '%Y-%m-%d %H:%M:%S', '2022-0x-01 00:00:00').message, /bad_formatter_or_date/);
  });

  it('apply an offset once with date_to_unix_ts/4 (deviation: EMQX applies a %z offset twice)', () => {
    assert.equal(call('date_to_unix_ts', 'second', '+08:00', '%Y-%m-%d %H:%M:%S', '2024-02-23 15:00:00'), 1708671600);
    assert.equal(call('date_to_unix_ts', 'second', '+08:00', '%Y-%m-%d %H:%M:%S%:z', '2024-02-23 15:00:00+02:00'), 1708693200);
  });

  it('render MongoDB dates as the SQL tester shows them', () => {
    assert.equal(call('mongo_date', 1708671600123), 'ISODate(2024-02-23T07:00:00.123Z)');
    assert.equal(call('mongo_date', 1708671600, 'second'), 'ISODate(2024-02-23T07:00:00.000Z)');
    assert.match(call('mongo_date') as string, /^ISODate\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\)$/);
  });
});
