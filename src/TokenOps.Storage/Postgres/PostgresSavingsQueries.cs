using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Postgres;

/// <summary>Savings reads (<see cref="SqlSavingsQueries"/>) on PostgreSQL.</summary>
public sealed class PostgresSavingsQueries(PostgresDatabase database) : SqlSavingsQueries(new PostgresRollupQueries(database));
