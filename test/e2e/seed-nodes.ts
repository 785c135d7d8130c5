// The DynamoDB end of the seed's flows, as every e2e seed test deploys it: the connector
// `my_dynamodb` on table mqtt_msg in us-west-2, and sinks doing the seed's put on hash key `id`
// (batching for 5 ms, so a test does not wait on the default).

export function seedConnectorNode(dynamoUrl: string): Record<string, unknown> {
  return { id: 'connector', type: 'dynamodb-connector', name: 'my_dynamodb', url: dynamoUrl, region: 'us-west-2', table: 'mqtt_msg' };
}

export function seedSinkNode(id: string, more: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    type: 'dynamodb-sink',
    z: 'tab',
    connector: 'connector',
    table: '',
    template: '',
    operation: 'put',
    hashKey: 'id',
    batchTime: 5,
    wires: [[]],
    ...more,
  };
}
