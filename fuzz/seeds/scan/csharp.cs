var cs = Environment.GetEnvironmentVariable("NEON_POSTGRESQL_CONNECTIONSTRING");
var b = new NpgsqlConnectionStringBuilder(cs) { Password = "x" };
