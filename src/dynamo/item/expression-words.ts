// The words of the update and condition expressions' errors (expression-parser.ts, expression.ts),
// through the sink's catalog (src/words.ts, keys item.expression.*). Each is made when the error
// is: the parser and compiler run at deploy and in the dialog's check, never per message.
import { words } from '../../words';

export const expressionWords = {
  /** `condition line 1, column 5: <reason>` */
  syntax: (field: string, line: number, column: number, reason: string) =>
    words('item.expression.syntax', '__field__ line __line__, column __column__: __reason__', { field, line, column, reason }),

  // ---- tokens ----
  unterminatedName: () => words('item.expression.unterminatedName', 'unterminated `name`: close it with a backquote'),
  emptyName: () => words('item.expression.emptyName', 'empty `` name'),
  badNumber: (text: string) => words('item.expression.badNumber', 'bad number "__text__"', { text }),
  unterminatedString: () => words('item.expression.unterminatedString', "unterminated 'string': close it with a single quote"),
  unterminatedPlaceholder: () => words('item.expression.unterminatedPlaceholder', "unterminated placeholder: '${' needs a closing '}'"),
  badPlaceholder: (placeholder: string) =>
    words('item.expression.badPlaceholder', 'bad placeholder __placeholder__: write a path such as ${payload.temp}', { placeholder }),
  /** `alias`: `#name` or `:value`. */
  aliases: (alias: string) =>
    words('item.expression.aliases', 'write attribute names plainly and values as ${path} or literals: the sink makes the __alias__ aliases itself', { alias }),
  unexpected: (found: string) => words('item.expression.unexpected', 'unexpected __found__', { found }),

  // ---- grammar ----
  expected: (what: string, found: string) => words('item.expression.expected', 'expected __what__, found __found__', { what, found }),
  equalsInSet: (path: string) => words('item.expression.equalsInSet', "'=' after __path__ in SET", { path }),
  parenAfterIn: () => words('item.expression.parenAfterIn', "'(' after IN"),
  commaOrParen: () => words('item.expression.commaOrParen', "',' or ')'"),
  commaOrParenIn: (name: string) => words('item.expression.commaOrParenIn', "',' or ')' in __name__(...)", { name }),
  endOfExpression: () => words('item.expression.endOfExpression', 'the end of the expression'),
  updateEmpty: () => words('item.expression.updateEmpty', 'the update expression is empty'),
  expectedClause: (found: string) => words('item.expression.expectedClause', 'expected SET, REMOVE, ADD or DELETE, found __found__', { found }),
  clauseTwice: (clause: string) =>
    words('item.expression.clauseTwice', '__clause__ appears twice: put all its actions in one __clause__ clause, separated by commas', { clause }),
  expectedNextClause: (found: string) =>
    words('item.expression.expectedNextClause', "expected ',' or the next clause (SET, REMOVE, ADD, DELETE), found __found__", { found }),
  oneArithmetic: () =>
    words('item.expression.oneArithmetic', 'DynamoDB allows one + or - in a SET value: split the update or compute the value in the rule'),
  conditionEmpty: () => words('item.expression.conditionEmpty', 'the condition is empty'),
  tooDeep: (depth: number) => words('item.expression.tooDeep', 'nested more than __depth__ deep', { depth }),
  expectedCondition: (keyword: string) =>
    words('item.expression.expectedCondition', 'expected a condition, found __keyword__ (an attribute of that name goes in `backquotes`)', { keyword }),
  expectedBetweenAnd: (found: string) => words('item.expression.expectedBetweenAnd', 'expected AND in BETWEEN ... AND ..., found __found__', { found }),
  inTooMany: (max: number) => words('item.expression.inTooMany', 'IN takes at most __max__ values (DynamoDB limit)', { max }),
  expectedComparison: (found: string) =>
    words('item.expression.expectedComparison', "expected a comparison (=, <>, <, <=, >, >=), BETWEEN, IN, AND, OR or ')', found __found__", { found }),
  expectedOperand: (found: string) =>
    words('item.expression.expectedOperand', "expected an attribute name, ${path}, a number, a 'string' or a function, found __found__", { found }),
  expectedName: (found: string) => words('item.expression.expectedName', 'expected an attribute name, found __found__', { found }),
  listIndex: () => words('item.expression.listIndex', 'a list index is a whole number, e.g. history[0]'),
  expectedPathPart: () => words('item.expression.expectedPathPart', 'expected .name or [index] in the attribute path'),

  // ---- DynamoDB's rules (expression.ts) ----
  tooLong: (field: string, limit: number) =>
    words('item.expression.tooLong', "__field__ is longer than DynamoDB's limit of __limit__ bytes once aliased: shorten it", { field, limit }),
  keyAttribute: (name: string, partition: boolean) =>
    partition
      ? words('item.expression.partitionKey', '"__name__" is the table\'s partition key: DynamoDB cannot update a key attribute (the key comes from the row)', { name })
      : words('item.expression.sortKey', '"__name__" is the table\'s sort key: DynamoDB cannot update a key attribute (the key comes from the row)', { name }),
  overlaps: (path: string, other: string) =>
    words('item.expression.overlaps', '__path__ overlaps __other__: DynamoDB updates each path once per expression', { path, other }),
  notUpdateFunction: (name: string) =>
    words('item.expression.notUpdateFunction', '__name__() is not an update function: use if_not_exists(path, value) or list_append(list1, list2)', { name }),
  operands: (name: string, arity: number, given: number) =>
    arity === 1
      ? words('item.expression.oneOperand', '__name__ takes 1 operand, not __given__', { name, given })
      : words('item.expression.operands', '__name__ takes __arity__ operands, not __given__', { name, arity, given }),
  ifNotExistsPath: () => words('item.expression.ifNotExistsPath', 'if_not_exists(path, value): the first operand is an attribute name'),
  ttlAttribute: (attribute: string, reason: string) =>
    words('item.expression.ttlAttribute', 'ttlAttribute "__attribute__" and the updateExpression: __reason__', { attribute, reason }),
  clauseValue: (clause: string) =>
    words('item.expression.clauseValue', '__clause__ takes a value (${path} or a literal) after the attribute name', { clause }),
  arithmeticInCondition: () => words('item.expression.arithmeticInCondition', "+ and - work in an update's SET only, not in a condition"),
  notComparable: (name: string) =>
    words('item.expression.notComparable', '__name__() cannot be compared: of the functions only size(path) gives a value', { name }),
  sizeOperand: () => words('item.expression.sizeOperand', 'size(path) takes one attribute name'),
  notConditionFunction: (name: string) =>
    words(
      'item.expression.notConditionFunction',
      '__name__() is not a condition function: use attribute_exists, attribute_not_exists, attribute_type, begins_with, contains, or compare size(path)',
      { name },
    ),
  firstOperandPath: (name: string) => words('item.expression.firstOperandPath', '__name__: the first operand is an attribute name', { name }),
  attributeType: (types: string) => words('item.expression.attributeType', 'attribute_type(path, type): the type is one of __types__', { types }),
};
