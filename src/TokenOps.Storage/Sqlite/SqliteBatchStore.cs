using System.Data.Common;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Sqlite;

/// <summary>Batch-lane records (<see cref="SqlBatchStore"/>) in the SQLite file.</summary>
public sealed class SqliteBatchStore(SqliteDatabase database) : SqlBatchStore
{
    protected override DbConnection Open() => database.Open();

    protected override (string Prefix, string Suffix) InsertIgnore => ("INSERT OR IGNORE INTO", "");
}
