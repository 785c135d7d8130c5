// What Node-RED loads for `rule-sql` (nodes/rule-sql.js); the wiring is in rule-sql/register.ts.
export { default } from './rule-sql/register';
