// Runtime half of the "DynamoDB" sidebar tab: registers the plugin; the tab itself lives in
// dynamodb-sidebar.html and polls each sink's GET /dynamodb-sink/:id/metrics.
module.exports = function (RED) {
  RED.plugins.registerPlugin('dynamodb-sidebar', { type: 'dynamodb-sidebar' });
};
