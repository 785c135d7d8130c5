import { RuleFunction } from './types';

export const mapFunctions: RuleFunction[] = [];
