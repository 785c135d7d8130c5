// The words of the stream plan's deploy-time errors (windows, aggregates, analytic functions),
// kept beside plan.ts so the planner reads as logic; each is made when the error is thrown.

import { words } from '../../words';

export { arityReason } from '../compile-call';

export const planWords = {
  foreachGroupBy: (): string => words('rules.plan.foreachGroupBy', 'FOREACH cannot have GROUP BY: a windowed statement gives one row per group and window; write SELECT'),
  oneWindow: (window: string, first: string): string =>
    words('rules.plan.oneWindow', 'a statement has one window: __window__ comes after __first__', { window, first }),
  stateWindowOver: (): string => words('rules.plan.stateWindowOver', 'OVER after STATEWINDOW takes PARTITION BY only, not WHEN'),
  overAfterWindow: (window: string): string =>
    words('rules.plan.overAfterWindow', 'OVER follows only STATEWINDOW and analytic functions, not __window__', { window }),
  groupByNeedsWindow: (): string => words('rules.plan.groupByNeedsWindow', 'GROUP BY needs a window: TUMBLINGWINDOW(unit, size), HOPPINGWINDOW(unit, size, hop), SLIDINGWINDOW(unit, size), SESSIONWINDOW(unit, timeout, maxDuration), COUNTWINDOW(n[, hop]) or STATEWINDOW(begin, emit) (rule SQL sees one message at a time otherwise)'),
  havingNeedsWindow: (): string => words('rules.plan.havingNeedsWindow', 'HAVING needs GROUP BY with a window, e.g. GROUP BY clientid, TUMBLINGWINDOW(ss, 60)'),
  windowInGroupBy: (window: string): string =>
    words('rules.plan.windowInGroupBy', '__window__ belongs in GROUP BY, e.g. GROUP BY clientid, __window__', { window }),
  windowFunctionNeedsWindow: (fn: string): string =>
    words('rules.plan.windowFunctionNeedsWindow', '__fn__() needs a window: add GROUP BY ..., TUMBLINGWINDOW(ss, 60) (or another window)', { fn }),
  selectOrHavingOnly: (fn: string): string => words('rules.plan.selectOrHavingOnly', '__fn__() is only allowed in SELECT and HAVING', { fn }),
  aggregateNeedsWindow: (fn: string): string =>
    words('rules.plan.aggregateNeedsWindow', 'aggregate function __fn__() needs a window: add GROUP BY ..., TUMBLINGWINDOW(ss, 60) (or another window)', { fn }),
  aggregateInWhere: (fn: string): string =>
    words('rules.plan.aggregateInWhere', 'aggregate function __fn__() is not allowed in WHERE, which filters events before they enter the window; use HAVING', { fn }),
  nestedAggregate: (fn: string): string => words('rules.plan.nestedAggregate', 'aggregate function __fn__() cannot be inside another aggregate', { fn }),
  aggregatePlace: (fn: string): string => words('rules.plan.aggregatePlace', 'aggregate function __fn__() is only allowed in SELECT and HAVING', { fn }),
  overNotAnalytic: (fn: string): string =>
    words('rules.plan.overNotAnalytic', 'OVER follows only an analytic function (lag, latest, had_changed, changed_col), not __fn__()', { fn }),
  constantArguments: (fn: string): string => words('rules.plan.constantArguments', 'the arguments of __fn__() after the first must be constants', { fn }),
  noStar: (fn: string): string => words('rules.plan.noStar', '__fn__() does not take *', { fn }),
  windowArity: (shape: string, min: number, max: number, got: number): string => (min === max
    ? words('rules.plan.windowArity', '__window__ takes __n__ arguments, got __got__', { window: shape, n: min, got })
    : words('rules.plan.windowArityRange', '__window__ takes __min__ or __max__ arguments, got __got__', { window: shape, min, max, got })),
  positiveInteger: (shape: string, what: string): string =>
    words('rules.plan.positiveInteger', '__window__: __what__ must be a positive integer', { window: shape, what }),
  countHop: (shape: string, hop: number, n: number): string =>
    words('rules.plan.countHop', '__window__: hop __hop__ must not be larger than n __n__ (eKuiper)', { window: shape, hop, n }),
  unknownUnit: (written: string): string => words('rules.plan.unknownUnit', 'unknown time unit __unit__: use ms, ss, mi, hh or dd', { unit: written }),
  anExpression: (): string => words('rules.plan.anExpression', 'an expression'),
  sessionTimeout: (shape: string, timeout: string, maxDuration: string): string => words(
    'rules.plan.sessionTimeout',
    '__window__: the timeout (__timeout__) must be less than maxDuration (__maxDuration__); note that eKuiper writes maxDuration first',
    { window: shape, timeout, maxDuration },
  ),
};
