module.exports = require('../dist/plugins/dynamodb-sidebar').default;
