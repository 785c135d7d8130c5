// Which operator runs which window kind. A new kind: its operator in a file of this folder
// (extending WindowOperator, or TimedWindows when the clock closes it), its name and arguments
// in plan.ts (WindowKind), and one line here (the Record makes a missing line a compile error).

import type { WindowKind, WindowSpec } from '../plan';
import { CountWindows, HoppingCountWindows } from './count';
import { HoppingWindows } from './hopping';
import type { OperatorParts, WindowOperator } from './operator';
import { SessionWindows } from './session';
import { SlidingWindows } from './sliding';
import { StateWindows } from './state';
import { TumblingWindows } from './tumbling';

type OperatorFactory = (spec: WindowSpec, parts: OperatorParts) => WindowOperator;

const OPERATORS: Readonly<Record<WindowKind, OperatorFactory>> = {
  tumbling: (spec, parts) => new TumblingWindows(spec, parts),
  hopping: (spec, parts) => (spec.hop === spec.size ? new TumblingWindows(spec, parts) : new HoppingWindows(spec, parts)),
  sliding: (spec, parts) => new SlidingWindows(spec, parts),
  session: (spec, parts) => new SessionWindows(spec, parts),
  count: (spec, parts) => (spec.hop === spec.size ? new CountWindows(spec, parts) : new HoppingCountWindows(spec, parts)),
  state: (spec, parts) => new StateWindows(spec, parts),
};

/** The operator for a statement's window. */
export function windowOperator(spec: WindowSpec, parts: OperatorParts): WindowOperator {
  return OPERATORS[spec.kind](spec, parts);
}
