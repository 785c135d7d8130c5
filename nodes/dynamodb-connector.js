module.exports = require('../dist/nodes/dynamodb-connector').default;
