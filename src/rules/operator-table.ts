// The operator table of rule SQL expressions: every infix operator's binding power (reference
// section 2.4), which the Pratt loop of expr-parser.ts reads.

export const OR_BP = 10;
export const AND_BP = 20;
export const NOT_BP = 30;
export const COMPARISON_BP = 40;
export const UNARY_BP = 70;

/** Binding power of every infix operator (reference section 2.4, low to high). */
export const INFIX_POWER: Readonly<Record<string, number>> = {
  OR: OR_BP,
  AND: AND_BP,
  IN: COMPARISON_BP,
  '=': COMPARISON_BP, '!=': COMPARISON_BP, '<>': COMPARISON_BP, '<': COMPARISON_BP, '>': COMPARISON_BP,
  '<=': COMPARISON_BP, '>=': COMPARISON_BP, '=~': COMPARISON_BP, '~=': COMPARISON_BP,
  '+': 50, '-': 50,
  '*': 60, '/': 60, div: 60, mod: 60,
};

export const ARITHMETIC = new Set(['+', '-', '*', '/', 'div', 'mod']);
