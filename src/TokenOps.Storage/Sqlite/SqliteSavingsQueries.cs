using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Sqlite;

/// <summary>Savings reads (<see cref="SqlSavingsQueries"/>) on the SQLite file.</summary>
public sealed class SqliteSavingsQueries(SqliteDatabase database) : SqlSavingsQueries(new RollupQueries(database));
