import { RuleFunction } from './types';

export const messageFunctions: RuleFunction[] = [];
