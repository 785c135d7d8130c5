import { RuleFunction } from './types';

export const regexFunctions: RuleFunction[] = [];
