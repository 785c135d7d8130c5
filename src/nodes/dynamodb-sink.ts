// What Node-RED loads for `dynamodb-sink` (nodes/dynamodb-sink.js); the wiring is in dynamodb-sink/register.ts.
export { default } from './dynamodb-sink/register';
