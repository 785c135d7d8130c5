module.exports = require('../dist/nodes/rule-sql').default;
