import { RuleFunction } from './types';

export const encodingFunctions: RuleFunction[] = [];
