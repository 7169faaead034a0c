using System.Data.Common;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Sqlite;

/// <summary>Admin credentials (<see cref="SqlAdminCredentialStore"/>) in the SQLite file.</summary>
public sealed class SqliteAdminCredentialStore(SqliteDatabase database, TimeProvider time) : SqlAdminCredentialStore(time)
{
    protected override DbConnection Open() => database.Open();
}
