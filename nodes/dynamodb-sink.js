module.exports = require('../dist/nodes/dynamodb-sink').default;
