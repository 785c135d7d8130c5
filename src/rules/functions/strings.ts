import { RuleFunction } from './types';

export const stringFunctions: RuleFunction[] = [];
