import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ScanCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { LEDGER_KEY_ATTRIBUTE, LEDGER_TTL_ATTRIBUTE } from "../../src/signals/ledger.js";
import { type Moto, motoClientConfig } from "./moto.js";

/** A ledger table in moto as the deployments create it: on-demand, string key `pk`, TTL on. */
export async function createLedgerTable(moto: Moto, name: string): Promise<DynamoDBClient> {
  const client = new DynamoDBClient(motoClientConfig(moto));
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: LEDGER_KEY_ATTRIBUTE, AttributeType: "S" }],
      KeySchema: [{ AttributeName: LEDGER_KEY_ATTRIBUTE, KeyType: "HASH" }],
    }),
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: name,
      TimeToLiveSpecification: { Enabled: true, AttributeName: LEDGER_TTL_ATTRIBUTE },
    }),
  );
  return client;
}

/** One item, its attributes flattened to strings and numbers; undefined when absent. */
export async function ledgerItem(
  client: DynamoDBClient,
  table: string,
  key: string,
): Promise<Record<string, string | number> | undefined> {
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: table,
      Key: { [LEDGER_KEY_ATTRIBUTE]: { S: key } },
      ConsistentRead: true,
    }),
  );
  if (!Item) return undefined;
  return Object.fromEntries(
    Object.entries(Item).map(([name, value]) => [
      name,
      value.N !== undefined ? Number(value.N) : (value.S ?? ""),
    ]),
  );
}

/** Every key in the table. */
export async function ledgerKeys(client: DynamoDBClient, table: string): Promise<string[]> {
  const { Items = [] } = await client.send(new ScanCommand({ TableName: table }));
  return Items.map((item) => item[LEDGER_KEY_ATTRIBUTE]?.S ?? "").sort();
}
