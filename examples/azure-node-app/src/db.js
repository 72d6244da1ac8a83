import pg from "pg";
import { DefaultAzureCredential } from "@azure/identity";

// The app signs in to Azure Database for PostgreSQL with its managed identity: the Entra
// token is the password.
const credential = new DefaultAzureCredential();

export async function createPool() {
  const { token } = await credential.getToken("https://database.windows.net/.default");
  return new pg.Pool({
    host: process.env.AZURE_POSTGRESQL_HOST,
    user: process.env.AZURE_POSTGRESQL_USER,
    database: process.env.AZURE_POSTGRESQL_DATABASE,
    port: Number(process.env.AZURE_POSTGRESQL_PORT),
    password: token,
    ssl: process.env.AZURE_POSTGRESQL_SSL,
  });
}
